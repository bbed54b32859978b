"""Each metric against numbers worked out by hand (the fractions in the comments)."""

from __future__ import annotations

import math

import pytest

from nlp.metrics import classification_metrics, lead, multilabel_metrics, rouge_scores, score_metrics

GOLD = ["a", "a", "b", "b", "c", "c"]
PRED = ["a", "b", "b", "b", "a", "c"]


def test_classification_metrics_equal_a_hand_computation():
    result = classification_metrics(GOLD, PRED, ["a", "b", "c"])
    # a: tp 1, predicted 2, gold 2 -> P 1/2 R 1/2 F1 1/2
    # b: tp 2, predicted 3, gold 2 -> P 2/3 R 1   F1 4/5
    # c: tp 1, predicted 1, gold 2 -> P 1   R 1/2 F1 2/3
    assert result["accuracy"] == pytest.approx(4 / 6)
    assert result["macro_f1"] == pytest.approx((1 / 2 + 4 / 5 + 2 / 3) / 3)  # 59/90
    assert result["per_class"]["a"] == pytest.approx({"precision": 1 / 2, "recall": 1 / 2, "f1": 1 / 2, "support": 2})
    assert result["per_class"]["b"] == pytest.approx({"precision": 2 / 3, "recall": 1.0, "f1": 4 / 5, "support": 2})
    assert result["per_class"]["c"] == pytest.approx({"precision": 1.0, "recall": 1 / 2, "f1": 2 / 3, "support": 2})
    assert result["confusion"] == {"labels": ["a", "b", "c"], "matrix": [[1, 1, 0], [0, 2, 0], [1, 0, 1]]}


def test_macro_f1_counts_a_label_that_never_occurs_as_zero():
    result = classification_metrics(GOLD, PRED, ["a", "b", "c", "d"])
    assert result["macro_f1"] == pytest.approx(59 / 120)
    assert result["per_class"]["d"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    assert result["confusion"]["matrix"][3] == [0, 0, 0, 0]


def test_multilabel_metrics_equal_a_hand_computation():
    gold = [["x"], ["x", "y"], ["z"]]
    pred = [["x"], ["y"], ["z", "x"]]
    result = multilabel_metrics(gold, pred, ["x", "y", "z"])
    # x: tp 1 fp 1 fn 1 -> F1 1/2; y and z: F1 1. Micro: tp 3, fp 1, fn 1 -> 6/8.
    assert result["macro_f1"] == pytest.approx(5 / 6)
    assert result["micro_f1"] == pytest.approx(3 / 4)
    assert result["exact_match"] == pytest.approx(1 / 3)


def test_score_metrics_equal_a_hand_computation():
    result = score_metrics([-1.0, -0.5, 0.0, 1.0], [-0.5, -0.5, 0.5, 0.5])
    assert result["n"] == 4
    assert result["mae"] == pytest.approx(3 / 8)  # (0.5 + 0 + 0.5 + 0.5) / 4
    # ranks 1,2,3,4 against 1.5,1.5,3.5,3.5: cov 4, sums of squares 5 and 4 -> 4 / sqrt(20)
    assert result["spearman"] == pytest.approx(2 / math.sqrt(5))
    # gold deviations from -1/8, predictions from 0: cov 5/4, squares 35/16 and 1 -> 5 / sqrt(35)
    assert result["pearson"] == pytest.approx(5 / math.sqrt(35))


@pytest.mark.parametrize("gold, predicted", [([0.5], [0.0]), ([-1.0, 0.0, 1.0], [0.2, 0.2, 0.2])])
def test_correlations_are_none_when_undefined(gold, predicted):
    result = score_metrics(gold, predicted)
    assert result["spearman"] is None and result["pearson"] is None
    assert result["mae"] == pytest.approx(sum(abs(g - p) for g, p in zip(gold, predicted)) / len(gold))


def test_rouge_equals_a_hand_computation_with_rouge_score_tokenization():
    # prediction tokens: the cat(s) sat on the mat                      (6)
    # reference tokens:  a cat was sit(ting) on the mat it pur(red)    (9)
    # unigrams shared (clipped): the, cat, on, mat = 4 -> F = 2*4 / (6 + 9) = 8/15
    # bigrams shared: "on the", "the mat" = 2 of 5 and 8 -> F = 4/13; LCS cat on the mat = 4 -> 8/15
    predictions = ["The cats sat on the mat.", "Talks resumed in Hanoi."]
    references = ["A cat was sitting on the mat. It purred.", "talks RESUMED in hanoi"]
    result = rouge_scores(predictions, references)
    assert set(result) == {"rouge1", "rouge2", "rougeL"}
    assert result["rouge1"] == pytest.approx((8 / 15 + 1) / 2)
    assert result["rouge2"] == pytest.approx((4 / 13 + 1) / 2)
    assert result["rougeL"] == pytest.approx((8 / 15 + 1) / 2)


def test_lead_takes_the_first_sentences():
    text = "Pyongyang fired a missile. Seoul protested. Tokyo agreed. Washington called a meeting."
    assert lead(text, 3) == "Pyongyang fired a missile. Seoul protested. Tokyo agreed."
    assert lead("Only one sentence here.", 3) == "Only one sentence here."


def test_mismatched_lengths_and_empty_input_are_refused():
    with pytest.raises(ValueError, match="2 items, predictions 1"):
        classification_metrics(["a", "b"], ["a"], ["a", "b"])
    with pytest.raises(ValueError, match="no items"):
        score_metrics([], [])
