"""The text of what a user gives the page: pasted text, a dropped .txt or .html file, or an API body.

Every path ends in `checked_text`, which applies the one size limit (`serve.max_chars`) and refuses
an empty text, so the page and the API accept and refuse the same inputs.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from nlp.errors import InputError

FILE_TYPES = (".txt", ".text", ".md", ".html", ".htm")
_BLOCKS = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "article"}
_BLOCKS |= {"header", "footer", "blockquote", "pre", "table", "figcaption", "dd", "dt"}
_SKIPPED = {"script", "style", "noscript", "template", "svg", "head", "nav", "iframe"}


def checked_text(text: str | None, max_chars: int, where: str = "the text") -> str:
    """`text` if it is non-empty and at most `max_chars` characters; InputError says which limit."""
    if text is None or not text.strip():
        raise InputError(f"{where} is empty: paste an article or drop a .txt or .html file")
    if len(text) > max_chars:
        raise InputError(
            f"{where} has {len(text):,} characters, over the limit of {max_chars:,} (serve.max_chars); "
            "send a shorter text or raise serve.max_chars"
        )
    return text


class _TextOfHtml(HTMLParser):
    """Visible text of an HTML page, a line break at block elements, and its <title>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title: list[str] = []
        self.skipping = 0
        self.in_title = False

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag == "title":
            self.in_title = True
        elif tag in _SKIPPED:
            self.skipping += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False
        elif tag in _SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title.append(data)
        elif not self.skipping:
            self.parts.append(data)


def html_to_text(markup: str) -> tuple[str | None, str]:
    """(title or None, body text) of an HTML document: scripts, styles and navigation left out,
    runs of spaces joined, one blank line between blocks."""
    parser = _TextOfHtml()
    parser.feed(markup)
    parser.close()
    lines = [re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in "".join(parser.parts).split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    title = re.sub(r"\s+", " ", "".join(parser.title)).strip() or None
    return title, text


def read_upload(path: str | Path, max_chars: int) -> tuple[str | None, str]:
    """(title, text) of a dropped file: UTF-8 text, or HTML reduced to its visible text."""
    path = Path(path)
    if path.suffix.lower() not in FILE_TYPES:
        raise InputError(f"{path.name}: not a text or HTML file; drop one of {', '.join(FILE_TYPES)}")
    raw = path.read_bytes()
    if len(raw) > 8 * max_chars:
        raise InputError(f"{path.name}: {len(raw):,} bytes, too large for serve.max_chars={max_chars:,}")
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path.name}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    title, text = html_to_text(content) if path.suffix.lower() in (".html", ".htm") else (None, content)
    return title, checked_text(text, max_chars, where=path.name)
