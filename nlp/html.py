"""HTML input: the article of a web page (text, title, date) extracted with trafilatura.

`extract_html` keeps the main text (boilerplate, navigation, comments and tables left out, each
block of the page a paragraph of its own) and the page's title and publication date. Offsets of a
Document made from HTML point into this extracted text, not into the markup. trafilatura comes
with the `html` extra; without it, HTML input is a ConfigError that says how to install it.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from nlp.errors import InputError

log = logging.getLogger(__name__)

_HTML_START = re.compile(r"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|article)\b", re.I | re.S)
HTML_SUFFIXES = (".html", ".htm", ".xhtml")


@dataclass(frozen=True)
class Page:
    """The extracted article: `text` (blocks separated by blank lines), `title` and `date` (ISO) or None."""

    text: str
    title: str | None
    date: str | None


def looks_like_html(text: str) -> bool:
    """Whether `text` starts like an HTML document (a doctype, <html>, <head>, <body> or <article>)."""
    return bool(_HTML_START.match(text[:2000]))


def require_html() -> None:
    """Fail early, before any model loads, when trafilatura is not installed."""
    from nlp.extras import require_extra

    require_extra("HTML input", "html", {"trafilatura": "trafilatura", "lxml_html_clean": "lxml_html_clean"})


def extract_html(html: str) -> Page:
    """The article of `html`; an InputError (code `no_article`) when the page holds no article text."""
    require_html()
    import trafilatura

    found = trafilatura.bare_extraction(
        html, with_metadata=True, include_comments=False, include_tables=False, include_images=False
    )
    text = (getattr(found, "text", None) or "").strip() if found is not None else ""
    if not text:
        raise no_article()
    blocks = [line.strip() for line in text.split("\n") if line.strip()]
    title = (getattr(found, "title", None) or "").strip() or None
    date = getattr(found, "date", None) or None
    log.debug("extracted %d blocks from HTML (title %r, date %r)", len(blocks), title, date)
    return Page(text="\n\n".join(blocks), title=title, date=date)


def no_article() -> InputError:
    """The error for a page without article text; `code` is the infer error record's code."""
    error = InputError("no article text found in the HTML; check it is a full article page, or give plain text")
    error.code = "no_article"
    return error
