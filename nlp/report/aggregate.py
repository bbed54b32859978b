"""Streaming aggregates of `nlp infer` results: counts, moments, bounded samples and top-k, never the records.

Memory grows with the number of distinct outlets (capped by `report.max_outlets`), periods
(bounded by the span of the dates) and topics, never with the number of records: each record
updates a few counters, one reservoir sample and two bounded heaps, and is dropped.
"""

from __future__ import annotations

import math
import random
import re
from collections import Counter
from datetime import date, timedelta
from typing import Any

from nlp.report.streams import Moments, Reservoir, Strongest
from nlp.schema import ReportConfig

NO_OUTLET = "(no outlet)"
OTHER_OUTLETS = "(other outlets)"
NOT_ABOUT = "not_about_target"
HIST_BINS = 20  # stance histogram bins over [-1, 1], 0.1 wide
_EVIDENCE_CHARS = 600
_NAME_CHARS = 200  # outlet and topic names are cut to this: a stray 1 MB field stays small
MAX_TOPICS = 100  # distinct topic labels kept; more are pooled (a topic field that is not a label set)
OTHER_TOPICS = "(other topics)"
_EXAMPLES = 5
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?")


class OutletStats:
    def __init__(self, k: int, sample_size: int, rng: random.Random) -> None:
        self.records = 0
        self.labels: Counter = Counter()
        self.topics: Counter = Counter()
        self.voices: Counter = Counter()
        self.scores = Moments()
        self.sample = Reservoir(sample_size, rng)
        self.critical = Strongest(k)
        self.supportive = Strongest(k)


class TopicStats:
    def __init__(self) -> None:
        self.records = 0
        self.labels: Counter = Counter()
        self.scores = Moments()
        self.histogram = [0] * HIST_BINS


class PeriodStats:
    def __init__(self) -> None:
        self.records = 0
        self.topics: Counter = Counter()
        self.stance: dict[str, Moments] = {}


class Quality:
    """Problems in the results, by kind: a count, the first line numbers and a few of the odd values."""

    def __init__(self) -> None:
        self.counts: Counter = Counter()
        self.lines: dict[str, list[int]] = {}
        self.values: dict[str, list[str]] = {}

    def add(self, kind: str, line: int, value: Any = None) -> None:
        self.counts[kind] += 1
        lines = self.lines.setdefault(kind, [])
        if len(lines) < _EXAMPLES:
            lines.append(line)
        shown = self.values.setdefault(kind, [])
        if value is not None and len(shown) < _EXAMPLES and (text := repr(value)[:60]) not in shown:
            shown.append(text)

    def as_dict(self) -> dict[str, dict]:
        return {
            kind: {"count": n, "first_lines": self.lines[kind], "examples": self.values[kind]}
            for kind, n in self.counts.items()
        }


def parse_date(value: Any) -> date | None:
    """A calendar date from an ISO 8601 string (`2025-03-04`, or with a time part); None if it is none."""
    if not isinstance(value, str) or not (match := _ISO_DATE.fullmatch(value.strip())):
        return None
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:  # 2025-02-30
        return None


def period_start(day: date, period: str) -> date:
    """The first day of the week (Monday, ISO), month or quarter that `day` falls in."""
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "quarter":
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return day.replace(day=1)


def next_period(start: date, period: str) -> date:
    """The start of the period after the one starting on `start`."""
    if period == "week":
        return start + timedelta(days=7)
    months = 3 if period == "quarter" else 1
    year, month = divmod(start.month - 1 + months, 12)
    return date(start.year + year, month + 1, 1)


def period_label(start: date, period: str) -> str:
    """2025-W07 (ISO week), 2025-03, or 2025-Q1."""
    if period == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    if period == "quarter":
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    return f"{start.year}-{start.month:02d}"


class Aggregates:
    """Everything the report needs, updated one record at a time (`add`)."""

    def __init__(self, config: ReportConfig, cut_points: tuple[float, float], seed: int = 0) -> None:
        self.config, self.cut_points = config, cut_points
        self.rng = random.Random(seed)
        self.lines = 0
        self.records = 0
        self.quality = Quality()
        self.outlets: dict[str, OutletStats] = {}
        self.topics: dict[str, TopicStats] = {}
        self.periods: dict[date, PeriodStats] = {}
        self.first_day: date | None = None
        self.last_day: date | None = None

    def reject(self, line: int, kind: str) -> None:
        """A line that is not a record at all (invalid JSON, not an object, too long)."""
        self.lines += 1
        self.quality.add(kind, line)

    def add(self, line: int, record: dict) -> None:
        self.lines += 1
        self.records += 1
        outlet = self._outlet(self.outlet_of(record, line), line)
        day = self.date_of(record, line)
        topic = self.topic_of(record, line)
        score, label, evidence = self.stance_of(record, line)
        outlet.records += 1
        outlet.labels[label or "(no stance)"] += 1
        if topic is not None:
            outlet.topics[topic] += 1
        if score is not None:
            outlet.scores.add(score)
            outlet.sample.add(score)
        self._evidence(outlet, record, day, evidence, (score, label))
        if topic is not None:
            self._topic(topic, score, label)
        if day is not None:
            self._period(day, topic, score)

    def outlet_of(self, record: dict, line: int) -> str:
        value = record.get(self.config.outlet_field)
        if value is None:
            self.quality.add("outlet_missing", line)
            return NO_OUTLET
        if not isinstance(value, str):
            self.quality.add("outlet_not_a_string", line, value)
            return NO_OUTLET
        if not value.strip():
            self.quality.add("outlet_empty", line, value)
            return NO_OUTLET
        return value.strip()[:_NAME_CHARS]

    def date_of(self, record: dict, line: int) -> date | None:
        value = record.get(self.config.date_field)
        if value is None or value == "":
            self.quality.add("date_missing", line)
            return None
        day = parse_date(value)
        if day is None:
            self.quality.add("date_malformed", line, value)
            return None
        self.first_day = day if self.first_day is None else min(self.first_day, day)
        self.last_day = day if self.last_day is None else max(self.last_day, day)
        return day

    def topic_of(self, record: dict, line: int) -> str | None:
        topic = record.get("topic")
        if topic is None:
            self.quality.add("no_topic", line)
            return None
        label = topic.get("label") if isinstance(topic, dict) else None
        if not isinstance(label, str) or not label:
            self.quality.add("topic_malformed", line, label if isinstance(topic, dict) else topic)
            return None
        label = label[:_NAME_CHARS]
        if label not in self.topics and len(self.topics) >= MAX_TOPICS:
            self.quality.add("topic_pooled", line, label)
            return OTHER_TOPICS
        return label

    def stance_of(self, record: dict, line: int) -> tuple[float | None, str | None, list]:
        stance = record.get("stance")
        if stance is None:
            self.quality.add("no_stance", line)
            return None, None, []
        if not isinstance(stance, dict) or not isinstance(stance.get("label"), str):
            self.quality.add("stance_malformed", line, stance if not isinstance(stance, dict) else stance.get("label"))
            return None, None, []
        score, label = stance.get("score"), stance["label"]
        if score is not None and not _is_stance(score):
            self.quality.add("stance_score_malformed", line, score)
            score = None
        if label == NOT_ABOUT:
            self.quality.add("not_about_target", line)
        evidence = stance.get("evidence")
        return (float(score) if score is not None else None), label, evidence if isinstance(evidence, list) else []

    def _outlet(self, name: str, line: int) -> OutletStats:
        stats = self.outlets.get(name)
        if stats is None:
            if len(self.outlets) >= self.config.max_outlets and name != NO_OUTLET:
                self.quality.add("outlet_pooled", line, name)
                name = OTHER_OUTLETS
                stats = self.outlets.get(name)
            if stats is None:
                stats = OutletStats(self.config.evidence, self.config.sample_size, self.rng)
                self.outlets[name] = stats
        return stats

    def _evidence(self, outlet: OutletStats, record: dict, day: date | None, evidence: list, article: tuple) -> None:
        """Offer each evidence sentence outside the neutral band to the outlet's critical or supportive top-k;
        `article` is the record's own (score, label), shown beside the sentence."""
        low, high = self.cut_points
        for item in evidence:
            if not isinstance(item, dict) or not isinstance(item.get("text"), str) or not _is_stance(item.get("score")):
                continue
            voice = item.get("voice")
            if isinstance(voice, str):
                outlet.voices[voice] += 1
            score = float(item["score"])
            if low <= score <= high:
                continue
            entry = {
                "text": item["text"][:_EVIDENCE_CHARS],
                "score": score,
                "voice": voice if isinstance(voice, str) else None,
                "id": None if record.get("id") is None else str(record["id"])[:100],
                "date": day.isoformat() if day else None,
                "title": self._title(record),
                "article_score": article[0],
                "article_label": article[1],
            }
            (outlet.critical.offer(-score, entry) if score < low else outlet.supportive.offer(score, entry))

    def _title(self, record: dict) -> str | None:
        title = record.get(self.config.title_field) if self.config.title_field else None
        return title[:200] if isinstance(title, str) and title.strip() else None

    def _topic(self, topic: str, score: float | None, label: str | None) -> None:
        stats = self.topics.setdefault(topic, TopicStats())
        stats.records += 1
        stats.labels[label or "(no stance)"] += 1
        if score is not None:
            stats.scores.add(score)
            stats.histogram[min(HIST_BINS - 1, int((score + 1) / 2 * HIST_BINS))] += 1

    def _period(self, day: date, topic: str | None, score: float | None) -> None:
        stats = self.periods.setdefault(period_start(day, self.config.period), PeriodStats())
        stats.records += 1
        if topic is not None:
            stats.topics[topic] += 1
            if score is not None:
                stats.stance.setdefault(topic, Moments()).add(score)


def _is_stance(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and -1 <= value <= 1
