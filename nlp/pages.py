"""Readable reports as blocks, rendered as GitHub Markdown or one self-contained HTML page.

`nlp evaluate` and `nlp report` describe their reports as lists of blocks - `("h1" | "h2" | "p",
text)`, `("list", items)`, `("img", png_name, alt)`, `("table", headers, rows)` - and render them
here. A report with blocks of its own passes `extra`, which turns such a block into Markdown lines
or HTML. In HTML, text in backquotes becomes `<code>` and every image is embedded as a `data:` URI,
so the page needs no file beside it.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Callable
from pathlib import Path

Extra = Callable[[str, list], "list[str] | str"]


def markdown(blocks: list[tuple], extra: Extra | None = None) -> str:
    """GitHub-flavoured Markdown: pipe tables, images by relative path."""
    lines: list[str] = []
    for kind, *rest in blocks:
        if kind in ("h1", "h2"):
            lines += ["#" * int(kind[1]) + " " + rest[0], ""]
        elif kind == "p":
            lines += [rest[0], ""]
        elif kind == "list":
            lines += [*(f"- {item}" for item in rest[0]), ""]
        elif kind == "img":
            lines += [f"![{rest[1]}]({rest[0]})", ""]
        elif kind == "table":
            lines += [*markdown_table(*rest), ""]
        elif extra is not None:
            lines += extra(kind, rest)
        else:
            raise ValueError(f"unknown report block {kind!r}")
    return "\n".join(lines)


def markdown_table(headers: list, rows: list[list]) -> list[str]:
    return [
        "| " + " | ".join(map(markdown_cell, headers)) + " |",
        "|" + "---|" * len(headers),
        *("| " + " | ".join(map(markdown_cell, row)) + " |" for row in rows),
    ]


def markdown_cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def html_page(
    title: str, style: str, blocks: list[tuple], image: Callable[[str], str], extra: Extra | None = None
) -> str:
    """The page; `image(png_name)` gives each image's `src` (a data URI)."""
    body: list[str] = []
    for kind, *rest in blocks:
        if kind in ("h1", "h2", "p"):
            body.append(f"<{kind}>{html_text(rest[0])}</{kind}>")
        elif kind == "list":
            body.append("<ul>" + "".join(f"<li>{html_text(item)}</li>" for item in rest[0]) + "</ul>")
        elif kind == "img":
            name = html.escape(rest[0].removesuffix(".png"))
            body.append(f'<p><img src="{image(rest[0])}" id="{name}" alt="{html.escape(rest[1])}"></p>')
        elif kind == "table":
            body.append(html_table(*rest))
        elif extra is not None:
            body.append(extra(kind, rest))
        else:
            raise ValueError(f"unknown report block {kind!r}")
    return (
        f'<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{style}</style></head>\n<body>\n" + "\n".join(body) + "\n</body>\n</html>\n"
    )


def html_table(headers: list, rows: list[list]) -> str:
    head = "".join(f"<th>{html_text(h)}</th>" for h in headers)
    cells = "".join("<tr>" + "".join(f"<td>{html_text(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{cells}</tbody></table>"


def html_text(value: object) -> str:
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(str(value)))


def data_uri(path: Path) -> str:
    """The PNG at `path` as a `data:` URI."""
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")
