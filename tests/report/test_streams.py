"""Bounded streaming summaries: a reservoir never grows past its size, top-k keeps the k strongest once each."""

from __future__ import annotations

import random
import statistics

from nlp.report.streams import Moments, Reservoir, Strongest


def test_reservoir_keeps_everything_until_full_then_stays_at_its_size():
    sample = Reservoir(50, random.Random(0))
    for x in range(30):
        sample.add(float(x))
    assert sample.values == [float(x) for x in range(30)]
    for x in range(30, 100_000):
        sample.add(float(x))
    assert len(sample.values) == 50 and sample.seen == 100_000


def test_reservoir_is_a_uniform_sample():
    """Over the stream 0..9999, a uniform sample of 2000 has a mean near 5000 (sd of the mean ~ 58)."""
    sample = Reservoir(2000, random.Random(1))
    for x in range(10_000):
        sample.add(float(x))
    assert abs(statistics.mean(sample.values) - 4999.5) < 300


def test_strongest_keeps_the_k_largest_strongest_first():
    top = Strongest(3)
    for key in [0.1, 0.9, 0.5, 0.7, 0.2, 0.8]:
        top.offer(key, {"text": f"s{key}", "score": key})
    assert [item["score"] for item in top.items()] == [0.9, 0.8, 0.7]


def test_strongest_keeps_each_text_once_at_its_strongest():
    top = Strongest(2)
    top.offer(0.5, {"text": "wire copy", "n": 1})
    top.offer(0.9, {"text": "wire copy", "n": 2})
    top.offer(0.4, {"text": "wire copy", "n": 3})
    top.offer(0.3, {"text": "other", "n": 4})
    assert [(item["text"], item["n"]) for item in top.items()] == [("wire copy", 2), ("other", 4)]


def test_strongest_with_k_zero_keeps_nothing():
    top = Strongest(0)
    top.offer(1.0, {"text": "a"})
    assert top.items() == []


def test_moments_mean_sd_and_interval():
    m = Moments()
    for x in [0.2, 0.4, 0.6]:
        m.add(x)
    assert abs(m.mean - 0.4) < 1e-12 and abs(m.sd - 0.2) < 1e-12
    low, high = m.normal_interval(1.96)
    assert abs(low - (0.4 - 1.96 * 0.2 / 3**0.5)) < 1e-12 and abs(high - (0.4 + 1.96 * 0.2 / 3**0.5)) < 1e-12
    single = Moments()
    single.add(0.5)
    assert single.sd is None and single.normal_interval(1.96) == (None, None)
