"""Metrics shared by `nlp evaluate` and fine-tuning: classification, multi-label, score, ROUGE.

Plain lists in, plain dicts of floats out. scikit-learn, scipy and rouge-score (the `eval` extra)
are imported inside the functions that need them, so importing this module costs nothing and a
caller that needs only some metrics needs only their packages.
"""

from __future__ import annotations

import math

import numpy as np

from nlp.sentences import split_sentences

ROUGE_TYPES = ("rouge1", "rouge2", "rougeL")


def classification_metrics(gold: list[str], predicted: list[str], labels: list[str]) -> dict:
    """Accuracy, macro-F1 over `labels` (a label never seen scores 0), per-class P/R/F1, confusion.

    Confusion rows are gold labels, columns predicted labels, both in the order of `labels`.
    """
    from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

    _check_lengths(gold, predicted)
    precision, recall, f1, support = precision_recall_fscore_support(
        gold, predicted, labels=labels, average=None, zero_division=0
    )
    matrix = confusion_matrix(gold, predicted, labels=labels)
    return {
        "accuracy": float(accuracy_score(gold, predicted)),
        "macro_f1": float(np.mean(f1)),
        "per_class": {
            label: {
                "precision": float(precision[i]),
                "recall": float(recall[i]),
                "f1": float(f1[i]),
                "support": int(support[i]),
            }
            for i, label in enumerate(labels)
        },
        "confusion": {"labels": list(labels), "matrix": matrix.tolist()},
    }


def multilabel_metrics(gold: list[list[str]], predicted: list[list[str]], labels: list[str]) -> dict:
    """Macro- and micro-F1 over `labels`, and exact match (the predicted set equals the gold set).

    Labels outside `labels` are ignored.
    """
    from sklearn.metrics import f1_score

    _check_lengths(gold, predicted)
    y_true, y_pred = _binarize(gold, labels), _binarize(predicted, labels)
    return {
        "macro_f1": float(f1_score(y_true, y_pred, average="macro", zero_division=0)),
        "micro_f1": float(f1_score(y_true, y_pred, average="micro", zero_division=0)),
        "exact_match": float(np.mean(np.all(y_true == y_pred, axis=1))),
    }


def _binarize(rows: list[list[str]], labels: list[str]) -> np.ndarray:
    index = {label: i for i, label in enumerate(labels)}
    matrix = np.zeros((len(rows), len(labels)), dtype=int)
    for r, row in enumerate(rows):
        for label in row:
            if label in index:
                matrix[r, index[label]] = 1
    return matrix


def score_metrics(gold: list[float], predicted: list[float]) -> dict:
    """Mean absolute error, Spearman and Pearson correlation, n.

    A correlation is None where it is undefined: fewer than 2 items, or a constant side.
    """
    from scipy.stats import pearsonr, spearmanr

    _check_lengths(gold, predicted)
    n = len(gold)
    truth, guess = np.asarray(gold, dtype=float), np.asarray(predicted, dtype=float)
    defined = n >= 2 and np.ptp(truth) > 0 and np.ptp(guess) > 0
    return {
        "mae": float(np.mean(np.abs(truth - guess))),
        "spearman": _finite(spearmanr(truth, guess).statistic) if defined else None,
        "pearson": _finite(pearsonr(truth, guess).statistic) if defined else None,
        "n": n,
    }


def _finite(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def rouge_scores(predictions: list[str], references: list[str]) -> dict:
    """Mean ROUGE-1/2/L F-measures in [0, 1] (rouge-score: lowercase, alphanumeric tokens, Porter stems)."""
    from rouge_score.rouge_scorer import RougeScorer

    _check_lengths(predictions, references)
    scorer = RougeScorer(list(ROUGE_TYPES), use_stemmer=True)
    totals = dict.fromkeys(ROUGE_TYPES, 0.0)
    for prediction, reference in zip(predictions, references):
        scores = scorer.score(reference, prediction)  # (target, prediction)
        for key in ROUGE_TYPES:
            totals[key] += scores[key].fmeasure
    return {key: total / len(predictions) for key, total in totals.items()}


def lead(text: str, n: int = 3) -> str:
    """The first `n` sentences of `text`: the lead-n baseline a summary has to beat."""
    return " ".join(sentence.text for sentence in split_sentences(text)[:n])


def _check_lengths(gold: list, predicted: list) -> None:
    if len(gold) != len(predicted):
        raise ValueError(f"gold has {len(gold)} items, predictions {len(predicted)}; they must pair up")
    if not gold:
        raise ValueError("no items to score")


def calibration(confidences: list[float], correct: list[bool], bins: int = 10) -> dict:
    """Expected calibration error over equal-width confidence bins, and the bins themselves
    (mean confidence, accuracy, count) for a reliability plot; plus accuracy at confidence >= 0.8."""
    _check_lengths(confidences, correct)
    conf, right = np.asarray(confidences, dtype=float), np.asarray(correct, dtype=float)
    index = np.minimum((conf * bins).astype(int), bins - 1)
    table, ece = [], 0.0
    for b in range(bins):
        inside = index == b
        if inside.any():
            gap = abs(conf[inside].mean() - right[inside].mean())
            ece += gap * inside.mean()
            table.append(
                {
                    "low": b / bins,
                    "high": (b + 1) / bins,
                    "confidence": float(conf[inside].mean()),
                    "accuracy": float(right[inside].mean()),
                    "n": int(inside.sum()),
                }
            )
    high = conf >= 0.8
    return {
        "ece": float(ece),
        "bins": table,
        "n": len(conf),
        "accuracy_at_0.8": float(right[high].mean()) if high.any() else None,
        "share_at_0.8": float(high.mean()),
    }
