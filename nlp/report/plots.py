"""The PNG plots of `nlp report`, drawn on matplotlib `Figure`s (Agg canvas, never pyplot).

Each function takes the tables of `nlp.report.tables.build_tables` and returns a Figure, or None
when the data has nothing to draw (no dated records, no stance scores). Groups with fewer scored
records than `report.min_count` are drawn hollow and without a mean line, so a mean of two is never
mistaken for a trend.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from nlp.report.aggregate import HIST_BINS, next_period

if TYPE_CHECKING:
    from matplotlib.figure import Figure

STANCE_COLORS = {
    "critical": "#b2182b",
    "neutral": "#8c8c8c",
    "supportive": "#2166ac",
    "uncertain": "#d8b365",
    "not_about_target": "#d9d9d9",
}
TOPIC_COLORS = ["#7b3294", "#1b7837", "#e08214", "#35978f", "#bf812d", "#542788", "#c51b7d"]
NEUTRAL_BAND = "#f0f0f0"
PLOTS = ("topic_share.png", "outlet_stance.png", "topic_stance.png", "stance_over_time.png")


def topic_colors(topics: list[str]) -> dict[str, str]:
    return {topic: TOPIC_COLORS[i % len(TOPIC_COLORS)] for i, topic in enumerate(topics)}


def write_plots(tables: dict, out: Path, cut_points: tuple[float, float]) -> list[str]:
    """The PNG files that have data to show, written into `out`; returns their names."""
    figures = {
        "topic_share.png": plot_topic_share(tables),
        "outlet_stance.png": plot_outlet_stance(tables, cut_points),
        "topic_stance.png": plot_topic_stance(tables, cut_points),
        "stance_over_time.png": plot_stance_over_time(tables, cut_points),
    }
    written = []
    for name, figure in figures.items():
        if figure is not None:
            figure.savefig(out / name, dpi=110)
            written.append(name)
    return written


def _dates(tables: dict) -> tuple[list[date], float]:
    starts = [date.fromisoformat(p["start"]) for p in tables["periods"]]
    return starts, {"week": 5.6, "month": 24.0, "quarter": 74.0}[tables["period"]]


def _centres(starts: list[date], period: str) -> list[date]:
    return [s + (next_period(s, period) - s) / 2 for s in starts]


def _date_axis(ax) -> None:
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

    locator = AutoDateLocator(minticks=4, maxticks=12)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))


def plot_topic_share(tables: dict) -> Figure | None:
    """Stacked share of each primary topic per period, and the number of records per period below it."""
    from matplotlib.figure import Figure

    periods = [p for p in tables["periods"] if sum(p["topics"].values())]
    if not periods:
        return None
    starts, width = _dates({"periods": periods, "period": tables["period"]})
    centres = _centres(starts, tables["period"])
    topics, colors = tables["topic_order"], topic_colors(tables["topic_order"])
    fig = Figure(figsize=(10, 5.2))
    share_ax, count_ax = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    bottom = [0.0] * len(periods)
    for topic in topics:
        shares = [p["topics"].get(topic, 0) / sum(p["topics"].values()) for p in periods]
        share_ax.bar(centres, shares, width=width, bottom=bottom, color=colors[topic], label=topic, linewidth=0)
        bottom = [b + s for b, s in zip(bottom, shares)]
    share_ax.set_ylim(0, 1)
    share_ax.yaxis.set_major_formatter(_percent())
    share_ax.set_ylabel("share of records")
    share_ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, title="primary topic")
    share_ax.set_title(f"Primary topic share per {tables['period']}")
    totals = [sum(p["topics"].values()) for p in periods]
    count_ax.bar(centres, totals, width=width, color="#636363", linewidth=0)
    count_ax.set_ylabel("records")
    count_ax.yaxis.set_major_locator(_whole())
    _date_axis(count_ax)
    for ax in (share_ax, count_ax):
        ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


def _whole():
    from matplotlib.ticker import MaxNLocator

    return MaxNLocator(integer=True)


def _percent():
    from matplotlib.ticker import PercentFormatter

    return PercentFormatter(1.0, decimals=0)


def _neutral_band(ax, cut_points: tuple[float, float], vertical: bool) -> None:
    low, high = cut_points
    (ax.axvspan if vertical else ax.axhspan)(low, high, color=NEUTRAL_BAND, zorder=0)
    (ax.axvline if vertical else ax.axhline)(0, color="#bdbdbd", linewidth=0.8, zorder=0)


def _label_color(mean: float, cut_points: tuple[float, float]) -> str:
    low, high = cut_points
    return STANCE_COLORS["critical" if mean < low else "supportive" if mean > high else "neutral"]


def plot_outlet_stance(tables: dict, cut_points: tuple[float, float]) -> Figure | None:
    """Per outlet (the most frequent `plot_outlets`, sorted by mean): mean stance with its interval
    and count, and beside it the share of each stance label, since a mean can hide a split outlet."""
    from matplotlib.figure import Figure

    rows = [o for o in tables["outlets"] if o["scored"]][: tables["plot_outlets"]]
    if not rows:
        return None
    rows.sort(key=lambda o: o["mean"])
    fig = Figure(figsize=(11, 1.5 + 0.34 * len(rows)))
    ax, mix = fig.subplots(1, 2, sharey=True, gridspec_kw={"width_ratios": [3, 1.3]})
    _neutral_band(ax, cut_points, vertical=True)
    for y, o in enumerate(rows):
        enough = o["scored"] >= tables["min_count"]
        color = _label_color(o["mean"], cut_points)
        if enough and o["ci_low"] is not None:
            ax.plot([o["ci_low"], o["ci_high"]], [y, y], color=color, linewidth=2, alpha=0.55, solid_capstyle="round")
        ax.plot(o["mean"], y, "o", color=color, markersize=7, markerfacecolor=color if enough else "white")
    ax.set_yticks(range(len(rows)), [f"{o['outlet']}  (n={o['scored']})" for o in rows])
    ax.set_xlim(-1, 1)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.set_xlabel("mean stance  (-1 critical ... +1 supportive; neutral band shaded)")
    level = round(tables["confidence"] * 100)
    few = any(o["scored"] < tables["min_count"] for o in rows)
    hollow = f"; hollow: fewer than {tables['min_count']} scored" if few else ""
    ax.set_title(f"Mean stance per outlet, {level}% bootstrap interval{hollow}", fontsize=10, loc="left")
    _label_mix(mix, rows, tables["label_order"])
    for a in (ax, mix):
        a.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


def _label_mix(ax, rows: list[dict], labels: list[str]) -> None:
    """100% stacked bars of each outlet's stance labels (all its records, scored or not)."""
    left = [0.0] * len(rows)
    for label in labels:
        shares = [o["labels"].get(label, 0) / o["records"] for o in rows]
        if not any(shares):
            continue
        color = STANCE_COLORS.get(label, "#f0f0f0")
        ax.barh(range(len(rows)), shares, left=left, color=color, height=0.7, label=label.replace("_", " "))
        left = [a + b for a, b in zip(left, shares)]
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(_percent())
    ax.set_xlabel("share of records")
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncol=3, frameon=False, fontsize=8, borderaxespad=0.2)


def plot_topic_stance(tables: dict, cut_points: tuple[float, float]) -> Figure | None:
    """One histogram of stance scores per topic, with the share of each label in the title."""
    from matplotlib.figure import Figure

    rows = [t for t in tables["topics"] if t["records"]]
    if not rows or not any(t["scored"] for t in rows):
        return None
    fig = Figure(figsize=(9, 1.2 + 1.7 * len(rows)))
    axes = fig.subplots(len(rows), 1, sharex=True, squeeze=False)[:, 0]
    edges = [-1 + 2 * i / HIST_BINS for i in range(HIST_BINS + 1)]
    low, high = cut_points
    for ax, t in zip(axes, rows):
        _neutral_band(ax, cut_points, vertical=True)
        centres = [(a + b) / 2 for a, b in zip(edges, edges[1:])]
        colors = [_label_color(c, cut_points) for c in centres]
        ax.bar(centres, t["histogram"], width=2 / HIST_BINS * 0.92, color=colors, linewidth=0)
        if t["mean"] is not None:
            ax.axvline(t["mean"], color="black", linewidth=1.2, linestyle="--")
        shares = ", ".join(
            f"{label.replace('_', ' ')} {count / t['records']:.0%}"
            for label, count in sorted(t["labels"].items(), key=lambda kv: _order(kv[0]))
        )
        mean = "n/a" if t["mean"] is None else f"{t['mean']:+.2f}"
        ax.set_title(f"{t['topic']}: {t['records']} records, mean {mean} (dashed); {shares}", fontsize=9, loc="left")
        ax.set_ylabel("records")
        ax.yaxis.set_major_locator(_whole())
        ax.spines[["top", "right"]].set_visible(False)
    axes[-1].set_xlim(-1, 1)
    axes[-1].set_xlabel(f"stance score (neutral band {low:+.2f} .. {high:+.2f} shaded)")
    fig.tight_layout()
    return fig


def _order(label: str) -> int:
    names = list(STANCE_COLORS)
    return names.index(label) if label in names else len(names)


def plot_stance_over_time(tables: dict, cut_points: tuple[float, float]) -> Figure | None:
    """Mean stance per period, one panel per topic, with its interval band and the count as grey bars."""
    from matplotlib.figure import Figure

    topics = [t for t in tables["topic_order"] if any(t in p["stance"] for p in tables["periods"])]
    if not topics:
        return None
    starts, width = _dates(tables)
    centres = _centres(starts, tables["period"])
    colors = topic_colors(tables["topic_order"])
    fig = Figure(figsize=(10, 1.0 + 2.1 * len(topics)))
    axes = fig.subplots(len(topics), 1, sharex=True, squeeze=False)[:, 0]
    for ax, topic in zip(axes, topics):
        _neutral_band(ax, cut_points, vertical=False)
        counts = ax.twinx()
        n = [p["stance"].get(topic, {}).get("n", 0) for p in tables["periods"]]
        counts.bar(centres, n, width=width, color="#e5e5e5", linewidth=0, zorder=0)
        counts.set_ylim(0, max(n) * 3 if max(n) else 1)
        counts.set_ylabel("scored", color="#9e9e9e", fontsize=8)
        counts.yaxis.set_major_locator(_whole())
        counts.tick_params(axis="y", colors="#9e9e9e", labelsize=7)
        ax.set_zorder(counts.get_zorder() + 1)
        ax.patch.set_visible(False)
        # NaN where a period has too few scores: the line breaks there instead of bridging the gap
        shown = [_enough(p["stance"].get(topic), tables["min_count"]) for p in tables["periods"]]
        nan = float("nan")
        means = [s["mean"] if s else nan for s in shown]
        ax.plot(centres, means, "-", color=colors[topic], linewidth=1.4)
        bars = [(c, s) for c, s in zip(centres, shown) if s and s["ci_low"] is not None]
        ax.errorbar(
            [c for c, _ in bars],
            [s["mean"] for _, s in bars],
            yerr=[[s["mean"] - s["ci_low"] for _, s in bars], [s["ci_high"] - s["mean"] for _, s in bars]],
            fmt="o",
            color=colors[topic],
            markersize=4,
            elinewidth=1,
            ecolor=colors[topic],
            alpha=0.8,
        )
        ax.set_ylim(-1, 1)
        ax.set_ylabel("mean stance")
        ax.set_title(
            f"{topic}: mean stance per {tables['period']} (periods with >= {tables['min_count']} scored; "
            f"bars: {round(tables['confidence'] * 100)}% normal interval)",
            fontsize=9,
            loc="left",
        )
        ax.spines[["top"]].set_visible(False)
    _date_axis(axes[-1])
    fig.tight_layout()
    return fig


def _enough(stance: dict | None, min_count: int) -> dict | None:
    return stance if stance is not None and stance["n"] >= min_count else None
