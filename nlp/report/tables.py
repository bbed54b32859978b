"""From streaming aggregates to the report's tables: per outlet, per topic, per period, and one long table.

Intervals:
- outlet mean stance: a percentile bootstrap of the mean over the outlet's reservoir sample (all its
  scores while it has at most `report.sample_size`). When the outlet has more scores than the sample
  holds, each resample's deviation from the sample mean is scaled by sqrt(m / n) (m kept, n seen)
  and added to the exact mean, so the interval has the width of a bootstrap over all n scores (the
  mean's spread shrinks as 1 / sqrt(n)) rather than the wider one of m.
- topic and period x topic means: mean -/+ z * sd / sqrt(n) from exact streaming moments (a normal
  approximation; those groups can be unbounded in number of records, and keep no sample).
"""

from __future__ import annotations

import math
from datetime import date
from statistics import NormalDist

import numpy as np

from nlp.report.aggregate import NOT_ABOUT, Aggregates, PeriodStats, next_period, period_label

STANCE_ORDER = ("critical", "neutral", "supportive", "uncertain", NOT_ABOUT, "(no stance)")


def bootstrap_interval(
    sample: list[float], n: int, mean: float, resamples: int, level: float, rng: np.random.Generator
) -> tuple[float | None, float | None]:
    """Percentile bootstrap interval of the mean of `n` scores, from a uniform sample of them."""
    m = len(sample)
    if m < 2 or n < 2:
        return None, None
    values = np.asarray(sample, dtype=np.float64)
    means = np.empty(resamples)
    for start in range(0, resamples, 256):  # bounded transient memory: 256 x m indices at a time
        stop = min(resamples, start + 256)
        means[start:stop] = values[rng.integers(0, m, size=(stop - start, m))].mean(axis=1)
    deviations = (means - values.mean()) * math.sqrt(m / n)
    low, high = np.quantile(deviations, [(1 - level) / 2, (1 + level) / 2])
    return max(-1.0, mean + float(low)), min(1.0, mean + float(high))


def label_order(counters: list) -> list[str]:
    seen = set().union(*(set(c) for c in counters)) if counters else set()
    return [name for name in STANCE_ORDER if name in seen] + sorted(seen - set(STANCE_ORDER))


def topic_order(aggregates: Aggregates, configured: list[str]) -> list[str]:
    seen = set(aggregates.topics) | {t for p in aggregates.periods.values() for t in p.topics}
    return [t for t in configured if t in seen] + sorted(seen - set(configured))


def build_tables(aggregates: Aggregates, configured_topics: list[str], seed: int = 0) -> dict:
    """Plain data for plots, page and files: outlets, topics, periods, labels, quality."""
    config = aggregates.config
    z = NormalDist().inv_cdf((1 + config.confidence) / 2)
    topics = topic_order(aggregates, configured_topics)
    outlets = outlet_table(aggregates, np.random.default_rng(seed))
    return {
        "period": config.period,
        "confidence": config.confidence,
        "min_count": config.min_count,
        "plot_outlets": config.plot_outlets,
        "fields": {"outlet": config.outlet_field, "date": config.date_field, "title": config.title_field},
        "sample_size": config.sample_size,
        "bootstrap": config.bootstrap,
        "lines": aggregates.lines,
        "records": aggregates.records,
        "first_date": aggregates.first_day.isoformat() if aggregates.first_day else None,
        "last_date": aggregates.last_day.isoformat() if aggregates.last_day else None,
        "topic_order": topics,
        "label_order": label_order([o["labels"] for o in outlets]),
        "quality": aggregates.quality.as_dict(),
        "outlets": outlets,
        "topics": topic_table(aggregates, topics, z),
        "periods": [period_row(start, stats, config.period, z) for start, stats in filled_periods(aggregates)],
    }


def outlet_table(aggregates: Aggregates, rng: np.random.Generator) -> list[dict]:
    """One row per outlet, most records first, with its bootstrap interval and strongest evidence."""
    config = aggregates.config
    rows = []
    for name, stats in sorted(aggregates.outlets.items(), key=lambda kv: (-kv[1].records, kv[0])):
        mean = stats.scores.mean
        low, high = (
            (None, None)
            if mean is None
            else bootstrap_interval(stats.sample.values, stats.scores.n, mean, config.bootstrap, config.confidence, rng)
        )
        rows.append(
            {
                "outlet": name,
                "records": stats.records,
                "scored": stats.scores.n,
                "mean": mean,
                "sd": stats.scores.sd,
                "ci_low": low,
                "ci_high": high,
                "sampled": len(stats.sample.values),
                "labels": dict(stats.labels),
                "topics": dict(stats.topics),
                "voices": dict(stats.voices),
                "critical": stats.critical.items(),
                "supportive": stats.supportive.items(),
            }
        )
    return rows


def topic_table(aggregates: Aggregates, topics: list[str], z: float) -> list[dict]:
    """One row per topic seen, in `topics` order, with a normal-approximation interval and the histogram."""
    rows = []
    for name in topics:
        stats = aggregates.topics.get(name)
        if stats is None:
            continue
        low, high = stats.scores.normal_interval(z)
        rows.append(
            {
                "topic": name,
                "records": stats.records,
                "scored": stats.scores.n,
                "mean": stats.scores.mean,
                "ci_low": low,
                "ci_high": high,
                "labels": dict(stats.labels),
                "histogram": list(stats.histogram),
            }
        )
    return rows


MAX_FILLED_PERIODS = 1000


def filled_periods(aggregates: Aggregates) -> list[tuple]:
    """(start, stats) per period in date order, with the empty periods between them filled in (so a
    month without coverage shows as zero, and lines break there) unless that would make more than
    MAX_FILLED_PERIODS periods (a stray date decades away)."""
    present = sorted(aggregates.periods.items())
    if not present:
        return []
    period = aggregates.config.period
    starts, start = [], present[0][0]
    while start <= present[-1][0] and len(starts) <= MAX_FILLED_PERIODS:
        starts.append(start)
        start = next_period(start, period)
    if len(starts) > MAX_FILLED_PERIODS:
        return present
    return [(start, aggregates.periods.get(start) or PeriodStats()) for start in starts]


def period_row(start: date, stats: PeriodStats, period: str, z: float) -> dict:
    stance = {}
    for topic, moments in stats.stance.items():
        low, high = moments.normal_interval(z)
        stance[topic] = {"n": moments.n, "mean": moments.mean, "ci_low": low, "ci_high": high}
    return {
        "period": period_label(start, period),
        "start": start.isoformat(),
        "records": stats.records,
        "topics": dict(stats.topics),
        "stance": stance,
    }


LONG_COLUMNS = ("table", "outlet", "period", "topic", "label", "count", "total", "value", "ci_low", "ci_high")


def long_rows(tables: dict) -> list[dict]:
    """Every aggregate as one tidy row (columns LONG_COLUMNS) for the CSV and Parquet files.

    `table` says what a row is: topic_share (count of a primary topic in a period / total of the
    period), outlet_stance (mean score, scored / records, interval), outlet_label and topic_label
    (label count / records), topic_stance, stance_over_time (mean per period x topic), data_quality."""
    rows: list[dict] = []

    def row(table: str, **values) -> None:
        rows.append({column: values.get(column) for column in LONG_COLUMNS} | {"table": table})

    for p in tables["periods"]:
        counted = sum(p["topics"].values())
        for topic in tables["topic_order"]:
            count = p["topics"].get(topic, 0)
            row(
                "topic_share", period=p["period"], topic=topic, count=count, total=counted, value=_share(count, counted)
            )
        for topic, s in p["stance"].items():
            row(
                "stance_over_time",
                period=p["period"],
                topic=topic,
                count=s["n"],
                value=s["mean"],
                ci_low=s["ci_low"],
                ci_high=s["ci_high"],
            )
    for group in ("outlet", "topic"):
        for g in tables[group + "s"]:
            where, total = {group: g[group]}, g["records"]
            stance = dict(count=g["scored"], total=total, value=g["mean"], ci_low=g["ci_low"], ci_high=g["ci_high"])
            row(f"{group}_stance", **where, **stance)
            for label, count in g["labels"].items():
                row(f"{group}_label", **where, label=label, count=count, total=total, value=_share(count, total))
    for kind, problem in tables["quality"].items():
        row("data_quality", label=kind, count=problem["count"], total=tables["lines"])
    return rows


def _share(count: int, total: int) -> float | None:
    return count / total if total else None
