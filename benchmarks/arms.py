"""Timing helpers shared by the benchmarks: arms interleaved in one process, a markdown table, ratios.

Each repetition runs every arm once, in a rotated order (so no arm always runs first or last on a
machine whose load changes); an arm's figures are the median and the minimum over repetitions.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def interleaved(arms: dict[str, Callable[[], object]], repetitions: int, log: Callable[[str], None] = print) -> dict:
    """{arm: {"seconds": [...], "last": the arm's last result}} after `repetitions` rounds."""
    names = list(arms)
    out = {name: {"seconds": [], "last": None} for name in names}
    for rep in range(repetitions):
        order = names[rep % len(names) :] + names[: rep % len(names)]
        for name in order:
            started = time.perf_counter()
            out[name]["last"] = arms[name]()
            out[name]["seconds"].append(time.perf_counter() - started)
        log(f"  repetition {rep + 1}/{repetitions}: " + ", ".join(f"{n} {out[n]['seconds'][-1]:.1f}s" for n in names))
    return out


def table(results: dict, baseline: str, items: int, unit: str, extra: dict[str, dict[str, str]] | None = None) -> str:
    """Markdown: seconds (median, min), items/s at the median, speed-up over `baseline` (median and
    min), and any extra columns ({column: {arm: text}})."""
    extra = extra or {}
    base = results[baseline]["seconds"]
    head = ["arm", "median s", "min s", f"{unit}/s", "x baseline (median)", "x baseline (min)", *extra]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, result in results.items():
        seconds = result["seconds"]
        median, low = statistics.median(seconds), min(seconds)
        cells = [
            name,
            f"{median:.2f}",
            f"{low:.2f}",
            f"{items / median:.2f}",
            f"{statistics.median(base) / median:.2f}",
            f"{min(base) / low:.2f}",
            *(column.get(name, "-") for column in extra.values()),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
