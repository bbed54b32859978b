"""The heads' word features: the same TF-IDF scikit-learn computes, without scikit-learn at inference."""

from __future__ import annotations

import numpy as np

from helpers import CORPUS
from nlp.models.lexical import LexicalFeatures, fit_vocabulary, terms

TEXTS = [*CORPUS, "North Korea fired a missile. North Korea fired again!", "Sanctions, sanctions and more talks."]


def test_terms_are_words_and_adjacent_pairs():
    assert terms("The North fired a missile") == [
        "the",
        "north",
        "fired",
        "missile",
        "the north",
        "north fired",
        "fired missile",
    ]


def test_features_equal_scikit_learns_tfidf_for_the_same_vocabulary():
    from sklearn.feature_extraction.text import TfidfVectorizer

    vocabulary, idf = fit_vocabulary(TEXTS, min_df=2, max_terms=50)
    ours = LexicalFeatures(vocabulary, idf).matrix(TEXTS).toarray()
    theirs = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, vocabulary=vocabulary).fit(TEXTS)
    assert np.allclose(idf, theirs.idf_, atol=1e-5)
    assert np.allclose(ours, theirs.transform(TEXTS).toarray(), atol=1e-5)


def test_min_df_and_max_terms_bound_the_vocabulary_and_logits_match_the_matrix(tmp_path):
    vocabulary, idf = fit_vocabulary(TEXTS, min_df=2, max_terms=5)
    assert len(vocabulary) == 5 and all(sum(t in terms(x) for x in TEXTS) >= 2 for t in vocabulary)
    features = LexicalFeatures(vocabulary, idf)
    features.save(tmp_path)
    loaded = LexicalFeatures.load(tmp_path, idf)
    weight = np.random.default_rng(0).normal(size=(3, 5)).astype(np.float32)
    assert np.allclose(loaded.logits(TEXTS, weight), features.matrix(TEXTS) @ weight.T, atol=1e-5)
