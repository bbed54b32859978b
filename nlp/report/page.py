"""The files of `nlp report` besides the plots: one self-contained HTML page (plots embedded as
data URIs), a Markdown summary (plots by relative path), and the aggregates as one long table in
CSV and, when pyarrow is installed, Parquet.
"""

from __future__ import annotations

import csv
import html
import logging
from pathlib import Path

from nlp.pages import data_uri, html_page, html_table, html_text, markdown, markdown_cell, markdown_table
from nlp.report.sections import fmt, report_blocks
from nlp.report.tables import LONG_COLUMNS, long_rows

log = logging.getLogger(__name__)

STYLE = """
body{font-family:system-ui,sans-serif;max-width:72em;margin:2em auto;padding:0 1em;color:#222;line-height:1.4}
h2{margin-top:1.8em;border-bottom:2px solid #eee}table{border-collapse:collapse;margin:.5em 0 1em;font-size:.9em}
th,td{border-bottom:1px solid #ddd;padding:.25em .6em;text-align:left}th{background:#f5f5f5}
td{font-variant-numeric:tabular-nums}img{max-width:100%;display:block;margin:.5em 0}
code{background:#f3f3f3;padding:0 .2em}details{margin:.5em 0 1em}summary{cursor:pointer;color:#555}
.outlet{border-top:1px solid #ddd;padding:.3em 0 .6em}.outlet h3{margin:.3em 0}
.cols{display:grid;grid-template-columns:1fr 1fr;gap:1.5em}.cols h4{margin:.2em 0;color:#555;font-weight:600}
.ev{margin:.35em 0}.score{display:inline-block;min-width:3.2em;font-weight:600;color:#fff;border-radius:3px;
text-align:center;margin-right:.4em}.critical .score{background:#b2182b}.supportive .score{background:#2166ac}
.voice{font-size:.8em;border:1px solid #777;border-radius:3px;padding:0 .3em;margin-right:.3em}
.voice.quoted{border-style:dashed;color:#666}.src{color:#777;font-size:.85em}
"""


def write_page(tables: dict, out: Path, images: list[str], input_path: str) -> list[str]:
    """report.html, report.md, aggregates.csv (and aggregates.parquet with pyarrow); returns their names."""
    blocks = report_blocks(tables, images, input_path)
    uris = {name: data_uri(out / name) for name in images}
    (out / "report.html").write_text(render_html(blocks, uris), encoding="utf-8")
    (out / "report.md").write_text(render_markdown(blocks), encoding="utf-8")
    rows = long_rows(tables)
    with (out / "aggregates.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=LONG_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    written = ["report.html", "report.md", "aggregates.csv"]
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        log.info("report: pyarrow is not installed, so no aggregates.parquet (pip install pyarrow)")
        return written
    pq.write_table(pa.Table.from_pylist(rows, schema=_schema(pa)), out / "aggregates.parquet")
    return [*written, "aggregates.parquet"]


def _schema(pa):
    numbers = {"count": pa.int64(), "total": pa.int64()} | {k: pa.float64() for k in ("value", "ci_low", "ci_high")}
    return pa.schema([(column, numbers.get(column, pa.string())) for column in LONG_COLUMNS])


def render_markdown(blocks: list[tuple]) -> str:
    """GitHub-flavoured Markdown: pipe tables, plots by relative path, evidence as lists."""
    return markdown(blocks, _markdown_block)


def render_html(blocks: list[tuple], images: dict[str, str]) -> str:
    """One self-contained page: inline CSS, `images` maps a PNG name to its data URI."""
    return html_page("Coverage report", STYLE, blocks, images.__getitem__, _html_block)


def _markdown_block(kind: str, rest: list) -> list[str]:
    """The report's own blocks: `details` (a table shown folded on the page) and `evidence`."""
    if kind == "details":
        return [*markdown_table(*rest[1:]), ""]
    lines: list[str] = []
    for o in rest[0]:
        items = [*o["critical"], *o["supportive"]]
        if items:
            lines += [f"**{o['outlet']}**", ""]
            lines += [f"- {fmt(e['score'])}{_voice(e)}: {markdown_cell(e['text'])} ({_source(e)})" for e in items]
            lines.append("")
    return lines


def _html_block(kind: str, rest: list) -> str:
    if kind == "details":
        return f"<details><summary>{html_text(rest[0])}</summary>{html_table(*rest[1:])}</details>"
    return "\n".join(_outlet_evidence(o) for o in rest[0] if o["critical"] or o["supportive"])


def _voice(e: dict) -> str:
    return f" [{e['voice']}]" if e.get("voice") else ""


def _source(e: dict) -> str:
    """Where a sentence comes from: title, id, date, and the article's own stance."""
    parts = [e["title"]] if e.get("title") else []
    parts += [str(e["id"])] if e.get("id") is not None else []
    parts += [e["date"]] if e.get("date") else []
    if e.get("article_label"):
        score = "" if e.get("article_score") is None else f" {fmt(e['article_score'])}"
        parts.append(f"article: {e['article_label'].replace('_', ' ')}{score}")
    return " · ".join(parts)


def _outlet_evidence(o: dict) -> str:
    columns = []
    for side in ("critical", "supportive"):
        items = "".join(
            f'<div class="ev {side}"><span class="score">{fmt(e["score"])}</span>'
            + (
                f'<span class="voice {html.escape(e["voice"])}">{html.escape(e["voice"])}</span>'
                if e.get("voice")
                else ""
            )
            + f'{html.escape(e["text"])}<div class="src">{html.escape(_source(e))}</div></div>'
            for e in o[side]
        )
        empty = '<p class="src">none outside the neutral band</p>'
        columns.append(f"<div><h4>most {side}</h4>{items or empty}</div>")
    count = f' <span class="src">{o["records"]} records</span>'
    return f'<div class="outlet"><h3>{html.escape(o["outlet"])}{count}</h3><div class="cols">{"".join(columns)}</div></div>'
