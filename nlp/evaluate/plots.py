"""The PNG plots of `nlp evaluate`, drawn with matplotlib's object API.

A `Figure` saved through the Agg canvas, never pyplot, so writing them neither needs a display nor
changes the caller's matplotlib backend.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

PLOTS = ("confusion_matrix.png", "per_class_f1.png", "stance_scatter.png", "rouge.png")


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
    return written


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


def plot_rouge(fig: Figure, summary: dict) -> Figure:
    """ROUGE-1/2/L bars of the model beside the lead-3 baseline."""
    ax = fig.add_subplot(1, 1, 1)
    keys = ["rouge1", "rouge2", "rougeL"]
    for offset, system in ((-0.2, "model"), (0.2, "lead-3")):
        bars = ax.bar(
            [i + offset for i in range(3)],
            [summary[system][k] for k in keys],
            width=0.4,
            label=f"{system} ({summary['method']})" if system == "model" else "lead-3 baseline",
        )
        ax.bar_label(bars, fmt="%.2f")
    ax.set_xticks(range(3), ["ROUGE-1", "ROUGE-2", "ROUGE-L"])
    ax.set_ylim(0, 1.1)
    ax.set_ylabel("F-measure")
    ax.set_title(f"summaries vs references, n={summary['n']}")
    ax.legend()
    fig.tight_layout()
    return fig
