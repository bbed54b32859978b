"""The PNG plots of `nlp evaluate`, drawn with matplotlib's object API.

A `Figure` saved through the Agg canvas, never pyplot, so writing them neither needs a display nor
changes the caller's matplotlib backend.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

PLOTS = (
    "confusion_matrix.png",
    "per_class_f1.png",
    "stance_scatter.png",
    "rouge.png",
    "coverage.png",
    "reliability.png",
)


def number(value: float | None) -> str:
    """A metric for a table or a title: 3 decimals, or n/a where it is undefined."""
    return "n/a" if value is None else f"{value:.3f}"


def classification_panels(metrics: dict) -> list[tuple[str, dict]]:
    """(title, classification metrics) for each classification that was scored: topic, stance classes."""
    panels = [("topic (primary label)", metrics["topic"])] if "topic" in metrics else []
    if "class" in metrics.get("stance", {}):
        panels.append(("stance (3 classes)", metrics["stance"]["class"]))
    return panels


def write_plots(metrics: dict, rows: list[dict], out: Path) -> list[str]:
    """The PNG files for the tasks that were scored; returns their names."""
    from matplotlib.figure import Figure

    written = []
    panels = classification_panels(metrics)
    if panels:
        plot_confusion(Figure(figsize=(5 * len(panels), 4.2)), panels).savefig(out / "confusion_matrix.png", dpi=100)
        plot_f1(Figure(figsize=(5 * len(panels), 3.8)), panels).savefig(out / "per_class_f1.png", dpi=100)
        written += ["confusion_matrix.png", "per_class_f1.png"]
    pairs = [
        (r["gold"]["stance"], r["predicted"]["stance"]["score"])
        for r in rows
        if "stance" in r["predicted"]
        and isinstance(r["gold"]["stance"], float)
        and r["predicted"]["stance"]["score"] is not None
    ]
    if pairs:
        plot_scatter(Figure(figsize=(4.8, 4.5)), pairs, metrics["stance"]).savefig(out / "stance_scatter.png", dpi=100)
        written.append("stance_scatter.png")
    if "summary" in metrics:
        plot_rouge(Figure(figsize=(5.5, 3.8)), metrics["summary"]).savefig(out / "rouge.png", dpi=100)
        written.append("rouge.png")
    return written + write_trust_plots(metrics, out)


def plot_confusion(fig: Figure, panels: list[tuple[str, dict]]) -> Figure:
    """One confusion-matrix heat map per panel, counts written in the cells."""
    for j, (title, result) in enumerate(panels):
        ax = fig.add_subplot(1, len(panels), j + 1)
        labels, matrix = result["confusion"]["labels"], result["confusion"]["matrix"]
        ax.imshow(matrix, cmap="Blues")
        peak = max(max(row) for row in matrix) or 1
        for r, row in enumerate(matrix):
            for c, count in enumerate(row):
                ax.text(c, r, str(count), ha="center", va="center", color="white" if count > peak / 2 else "black")
        ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
        ax.set_yticks(range(len(labels)), labels)
        ax.set_xlabel("predicted")
        ax.set_ylabel("gold")
        ax.set_title(f"{title}, n={sum(map(sum, matrix))}")
    fig.tight_layout()
    return fig


def plot_f1(fig: Figure, panels: list[tuple[str, dict]]) -> Figure:
    """Per-class F1 bars per panel, the macro-F1 as a dashed line."""
    for j, (title, result) in enumerate(panels):
        ax = fig.add_subplot(1, len(panels), j + 1)
        labels = list(result["per_class"])
        scores = [result["per_class"][label]["f1"] for label in labels]
        bars = ax.bar(labels, scores, color="tab:blue")
        ax.bar_label(bars, fmt="%.2f")
        ax.axhline(result["macro_f1"], color="tab:red", linestyle="--", linewidth=1)
        ax.set_ylim(0, 1.1)
        ax.set_ylabel("F1")
        ax.set_title(f"{title}: macro-F1 {result['macro_f1']:.3f} (dashed)")
    fig.tight_layout()
    return fig


def plot_scatter(fig: Figure, pairs: list[tuple[float, float]], stance: dict) -> Figure:
    """Predicted against gold stance score, with the diagonal and the cut points."""
    ax = fig.add_subplot(1, 1, 1)
    ax.scatter([g for g, _ in pairs], [p for _, p in pairs], alpha=0.6)
    ax.plot([-1, 1], [-1, 1], color="grey", linestyle="--", linewidth=1)
    for cut in stance["cut_points"]:
        ax.axhline(cut, color="tab:red", linestyle=":", linewidth=1)
        ax.axvline(cut, color="tab:red", linestyle=":", linewidth=1)
    ax.set_xlim(-1.1, 1.1)
    ax.set_ylim(-1.1, 1.1)
    ax.set_xlabel("gold score")
    ax.set_ylabel("predicted score")
    score = stance["score"]
    ax.set_title(f"stance, n={score['n']}: MAE {score['mae']:.3f}, Spearman {number(score['spearman'])}")
    fig.tight_layout()
    return fig


def summary_systems(summary: dict) -> dict[str, str]:
    """{metrics key: display name} of the summary systems scored, the model first."""
    names = {
        "model": f"model ({summary['method']})",
        "lead-3": "lead-3 baseline",
        "lead-words": "lead, same words",
        "oracle": "oracle, same words",
    }
    return {key: name for key, name in names.items() if key in summary}


def plot_rouge(fig: Figure, summary: dict) -> Figure:
    """ROUGE-1/2/L bars of the model beside the baselines (lead-3, lead and oracle at the same words)."""
    ax = fig.add_subplot(1, 1, 1)
    keys = ["rouge1", "rouge2", "rougeL"]
    systems = summary_systems(summary)
    width = 0.8 / len(systems)
    for index, (system, name) in enumerate(systems.items()):
        offset = (index - (len(systems) - 1) / 2) * width
        bars = ax.bar([i + offset for i in range(3)], [summary[system][k] for k in keys], width=width, label=name)
        ax.bar_label(bars, fmt="%.2f", fontsize=7)
    ax.set_xticks(range(3), ["ROUGE-1", "ROUGE-2", "ROUGE-L"])
    ax.set_ylim(0, 1.1)
    ax.set_ylabel("F-measure")
    ax.set_title(f"summaries vs references, n={summary['n']}")
    ax.legend()
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------------
# Coverage and calibration (nlp/evaluate/trust.py)


def trust_panels(metrics: dict, key: str) -> list[tuple[str, dict]]:
    """(title, metrics[task][key]) for topic and stance where `key` (coverage, calibration) was computed."""
    names = (("topic", "topic (primary label)"), ("stance", "stance (3 classes)"))
    return [(name, metrics[task][key]) for task, name in names if (metrics.get(task) or {}).get(key)]


def write_trust_plots(metrics: dict, out: Path) -> list[str]:
    """coverage.png and reliability.png, for the tasks that have them; returns the names written."""
    from matplotlib.figure import Figure

    written = []
    for name, key, draw in (
        ("coverage.png", "coverage", plot_coverage),
        ("reliability.png", "calibration", plot_reliability),
    ):
        panels = trust_panels(metrics, key)
        if panels:
            draw(Figure(figsize=(4.8 * len(panels), 4.2)), panels).savefig(out / name, dpi=100)
            written.append(name)
    return written


def plot_coverage(fig: Figure, panels: list[tuple[str, dict]]) -> Figure:
    """Accuracy of the answers against the share answered as the confidence threshold rises; the
    configured min_confidence marked."""
    for j, (title, curve) in enumerate(panels):
        ax = fig.add_subplot(1, len(panels), j + 1)
        points = [p for p in curve["points"] if p["accuracy"] is not None]
        ax.plot([p["coverage"] for p in points], [p["accuracy"] for p in points], marker=".", color="tab:blue")
        for p in points[:: max(1, len(points) // 5)]:
            ax.annotate(
                f"{p['threshold']:.2f}",
                (p["coverage"], p["accuracy"]),
                fontsize=7,
                xytext=(3, 3),
                textcoords="offset points",
            )
        at = curve["at_min_confidence"]
        if at["accuracy"] is not None:
            ax.plot(
                [at["coverage"]],
                [at["accuracy"]],
                marker="*",
                markersize=12,
                color="tab:red",
                linestyle="",
                label=f"min_confidence {curve['min_confidence']:.2f}",
            )
            ax.legend(loc="lower left", fontsize=8)
        ax.set_xlim(0, 1.02)
        ax.set_ylim(0, 1.05)
        ax.set_xlabel("coverage (share answered)")
        ax.set_ylabel("accuracy of the answers")
        ax.set_title(f"{title}, n={curve['n']}")
    fig.tight_layout()
    return fig


def plot_reliability(fig: Figure, panels: list[tuple[str, dict]]) -> Figure:
    """Accuracy against mean confidence per confidence bin (the diagonal is perfect calibration)."""
    for j, (title, calibration) in enumerate(panels):
        ax = fig.add_subplot(1, len(panels), j + 1)
        bins = calibration["bins"]
        ax.bar(
            [b["low"] for b in bins],
            [b["accuracy"] for b in bins],
            width=[b["high"] - b["low"] for b in bins],
            align="edge",
            alpha=0.6,
            color="tab:blue",
            edgecolor="black",
            label="accuracy",
        )
        ax.plot(
            [b["confidence"] for b in bins],
            [b["accuracy"] for b in bins],
            marker="o",
            color="tab:orange",
            linestyle="",
            label="mean confidence",
        )
        for b in bins:
            ax.annotate(str(b["n"]), (b["low"] + (b["high"] - b["low"]) / 2, 0.02), ha="center", fontsize=7)
        ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.05)
        ax.set_xlabel("confidence")
        ax.set_ylabel("accuracy")
        ax.set_title(f"{title}: ECE {calibration['ece']:.3f}, n={calibration['n']}")
        ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    return fig
