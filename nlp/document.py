"""A text prepared once for all three tasks: its title, the body the models read, and its sentences.

Every task reads a `Document`, never the raw string alone, so that the three share one sentence
split and one view of what belongs to the article. Sentence offsets always point into the original
`text` (`text[s.start:s.end] == s.text`), whatever preparation removed, so evidence can be checked
against what the user gave.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nlp.sentences import Sentence, split_sentences


@dataclass(frozen=True)
class Document:
    """`text` as given; `title` the headline (given, or None); `body` what whole-text models read;
    `sentences` the body's sentences with offsets into `text`."""

    text: str
    title: str | None = None
    body: str = ""
    sentences: tuple[Sentence, ...] = field(default_factory=tuple)

    @property
    def sentence_texts(self) -> list[str]:
        return [sentence.text for sentence in self.sentences]

    @property
    def titled_body(self) -> str:
        """The title and the body as one text, for models that read a whole article."""
        return f"{self.title}\n\n{self.body}" if self.title else self.body


def prepare(text: str, title: str | None = None) -> Document:
    """The document of `text` (and its headline, when the caller has one)."""
    title = title.strip() if title and title.strip() else None
    return Document(text=text, title=title, body=text, sentences=tuple(split_sentences(text)))


def as_documents(items: list[str | Document]) -> list[Document]:
    """Documents as they are; plain strings prepared with no title."""
    return [item if isinstance(item, Document) else prepare(item) for item in items]
