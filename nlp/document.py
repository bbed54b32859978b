"""A text prepared once for all three tasks: its title, the body the models read, and its sentences.

Every task reads a `Document`, never the raw string alone, so that the three share one sentence
split and one view of what belongs to the article. Preparation (`prepare`) extracts the article of
an HTML page (`format="html"`), drops page furniture (`nlp/clean.py`) and recognises a headline on
the first line, which becomes the title when none is given and is never a body sentence. Sentence
offsets always point into `text` (`text[s.start:s.end] == s.text`) - the original text, or for
HTML the extracted text - whatever preparation removed, so evidence can be checked against it.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from nlp.clean import furniture
from nlp.sentences import Sentence, is_headline, split_sentences

TextFormat = Literal["text", "html"]


@dataclass(frozen=True)
class Document:
    """`text` as given (for HTML: the extracted text); `title` the headline (given, found on the first
    line, or the page's) or None; `body` what whole-text models read (furniture and headline out);
    `sentences` the body's sentences with offsets into `text`; `removed` the dropped lines
    (start, end, kind) - furniture kinds and `headline`."""

    text: str
    title: str | None = None
    body: str = ""
    sentences: tuple[Sentence, ...] = field(default_factory=tuple)
    title_source: Literal["given", "headline", "html"] | None = None
    date: str | None = None
    source: TextFormat = "text"
    removed: tuple[tuple[int, int, str], ...] = ()

    @property
    def sentence_texts(self) -> list[str]:
        return [sentence.text for sentence in self.sentences]

    @property
    def titled_body(self) -> str:
        """The title and the body as one text, for models that read a whole article."""
        return f"{self.title}\n\n{self.body}" if self.title else self.body

    def describe(self) -> dict | None:
        """What preparation found or was given, for the output record's `document` part; None for
        plain text with no title and no furniture."""
        furniture_counts = Counter(kind for _, _, kind in self.removed if kind != "headline")
        if self.source == "text" and self.title is None and not furniture_counts:
            return None
        return {
            "source": self.source,
            "title": self.title,
            "title_source": self.title_source,
            "date": self.date,
            "furniture": dict(sorted(furniture_counts.items())),
        }


def prepare(
    text: str,
    title: str | None = None,
    *,
    clean: bool = True,
    headline: bool = True,
    format: TextFormat = "text",
) -> Document:
    """The document of `text` (and of its headline, when the caller has one).

    `clean` drops page furniture lines; `headline` takes a headline-like first line as the title when
    none is given (and drops it from the body when it repeats the given title); `format="html"`
    extracts the article, title and date of an HTML page first (InputError when it holds none).
    """
    title = title.strip() if title and title.strip() else None
    title_source = "given" if title else None
    date, source = None, "text"
    if format == "html":
        from nlp.html import extract_html

        page = extract_html(text)
        text, date, source = page.text, page.date, "html"
        if title is None and page.title:
            title, title_source = page.title, "html"
    removed = [tuple(line) for line in furniture(text)] if clean else []
    sentences = split_sentences(text, _kept(len(text), removed))
    if source == "html" and not sentences:
        from nlp.html import no_article

        raise no_article()  # trafilatura's fallback found only navigation or other furniture
    if headline and sentences and _is_first_line_headline(text, sentences):
        first = sentences[0]
        if title is None and len(sentences) > 1:
            title, title_source = first.text, "headline"
        if title is not None and _same(first.text, title):
            sentences = sentences[1:]
            removed.append((first.start, first.end, "headline"))
    removed.sort()
    return Document(
        text=text,
        title=title,
        body=_body(text, removed),
        sentences=tuple(sentences),
        title_source=title_source,
        date=date,
        source=source,
        removed=tuple(removed),
    )


def as_documents(items: list[str | Document]) -> list[Document]:
    """Documents as they are; plain strings prepared with no title and the default settings."""
    return [item if isinstance(item, Document) else prepare(item) for item in items]


def _kept(length: int, removed: list[tuple[int, int, str]]) -> tuple[tuple[int, int], ...]:
    """The regions of the text between the removed lines."""
    spans, position = [], 0
    for start, end, _ in sorted(removed):
        if start > position:
            spans.append((position, start))
        position = max(position, end)
    if position < length:
        spans.append((position, length))
    return tuple(spans)


def _is_first_line_headline(text: str, sentences: list[Sentence]) -> bool:
    """The first sentence is a whole line of its own that reads like a headline."""
    first = sentences[0]
    if "\n" in first.text:
        return False
    line_start = text.rfind("\n", 0, first.start) + 1
    rest = text[first.end :]
    if text[line_start : first.start].strip() or not (rest.lstrip(" \t").startswith(("\n", "\r")) or not rest.strip()):
        return False
    blank_after = bool(re.match(r"[ \t]*\r?\n[ \t]*\r?\n", rest))
    return is_headline(first.text, question_ok=blank_after)


def _same(a: str, b: str) -> bool:
    def norm(s: str) -> str:
        return re.sub(r"\W+", " ", s.lower()).strip()

    return norm(a) == norm(b)


def _body(text: str, removed: list[tuple[int, int, str]]) -> str:
    """`text` without the removed lines, runs of blank lines closed up."""
    if not removed:
        return text.strip()
    kept = "".join(text[start:end] for start, end in _kept(len(text), removed))
    return re.sub(r"\n[ \t]*(?:\n[ \t]*){2,}", "\n\n", kept).strip()
