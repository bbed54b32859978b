"""The one vocabulary of labels and scores: topic labels, stance levels and classes, the cut-point
rule, gold-label parsing, and the functions that turn logits into probabilities.

Training, inference and evaluation all call these, so the embedded heads are trained on exactly the
rules they are used and scored with.
"""

from __future__ import annotations

import math
import re

import numpy as np

TOPIC_LABELS = ("security", "diplomacy", "sanctions")
# The five levels of the data/news guideline, and the three classes a score falls into.
STANCE_LEVELS = (-1.0, -0.5, 0.0, 0.5, 1.0)
STANCE_CLASSES = ("critical", "neutral", "supportive")
DEFAULT_CUT_POINTS = (-0.25, 0.25)
# Class names (gold data, config `labels`, a classifier's id2label) and the stance they stand for.
STANCE_NAMES = {
    "critical": -1.0,
    "hostile": -1.0,
    "negative": -1.0,
    "against": -1.0,
    "neutral": 0.0,
    "none": 0.0,
    "supportive": 1.0,
    "positive": 1.0,
    "favor": 1.0,
    "favour": 1.0,
}
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")


def stance_label(score: float, cut_points: tuple[float, float] = DEFAULT_CUT_POINTS) -> str:
    """critical below the low cut point, supportive above the high one, neutral in between (inclusive)."""
    low, high = cut_points
    return "critical" if score < low else "supportive" if score > high else "neutral"


def side_confidence(
    probabilities: np.ndarray, values: np.ndarray, score: float, cut_points: tuple[float, float] = DEFAULT_CUT_POINTS
) -> float:
    """A stance's confidence from a distribution over stance `values`: the probability mass on the side
    of the scale its label is on (below 0 for critical, 0 for neutral, above 0 for supportive)."""
    label = stance_label(score, cut_points)
    side = values < 0 if label == "critical" else values > 0 if label == "supportive" else values == 0
    return float(probabilities[side].sum())


def stance_value(name: str) -> float | None:
    """The stance a class name stands for (critical -1, neutral 0, supportive 1, their synonyms, or a
    number in [-1, 1] written as text); None if it stands for none."""
    key = name.strip().lower()
    if key in STANCE_NAMES:
        return STANCE_NAMES[key]
    if _NUMBER.fullmatch(key) and -1 <= float(key) <= 1:
        return float(key)
    return None


def parse_gold_stance(value: object) -> float | str:
    """A gold stance as a score (a number in [-1, 1], also written as text) or a class name
    (`critical` / `neutral` / `supportive` or a synonym, returned as the class). ValueError says why not."""
    if isinstance(value, bool) or value is None:
        raise ValueError("not a number or a name")
    if isinstance(value, (int, float)):
        if not math.isfinite(value) or not -1 <= value <= 1:
            raise ValueError("out of range")
        return float(value)
    if not isinstance(value, str):
        raise ValueError("not a number or a name")
    text = value.strip().lower()
    if _NUMBER.fullmatch(text):
        number = float(text)
        if not -1 <= number <= 1:
            raise ValueError("out of range")
        return number
    if text in STANCE_NAMES:
        return stance_label(STANCE_NAMES[text])
    raise ValueError("unknown stance name")


GOLD_STANCE_HELP = "a number in [-1, 1] or one of critical, neutral, supportive (or hostile, negative, positive, ...)"


def softmax(x: np.ndarray) -> np.ndarray:
    z = np.exp(x - x.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))
