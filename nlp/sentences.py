"""Sentence splitting with character offsets into the original text.

A rule-based splitter tuned for English news copy: it breaks after . ! ? (and closing quotes or
brackets) followed by whitespace and an upper-case letter, digit or quote, and at blank lines,
but not after common abbreviations ("U.S.", "N. Korea", "Gen.", "Jan.", "No. 2"). Offsets always
slice the original text exactly: `text[start:end] == sentence`.
"""

from __future__ import annotations

import functools
import re
from typing import Any, NamedTuple

_ABBREVIATIONS = {
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "gen",
    "lt",
    "col",
    "maj",
    "capt",
    "cmdr",
    "adm",
    "sgt",
    "rep",
    "sen",
    "gov",
    "pres",
    "amb",
    "st",
    "jr",
    "sr",
    "no",
    "vs",
    "etc",
    "inc",
    "corp",
    "co",
    "ltd",
    "dept",
    "est",
    "approx",
    "fig",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "u.s",
    "u.n",
    "u.k",
    "e.g",
    "i.e",
    "a.m",
    "p.m",
}
_BOUNDARY = re.compile(r"[.!?]+[\"'\u201d\u2019)\]]*(?=\s+[\"'\u201c\u2018(\[]?[A-Z0-9])")
_PARAGRAPH = re.compile(r"\n\s*\n")
_WORD_BEFORE = re.compile(r"([\w.]+)[.!?]*[\"'\u201d\u2019)\]]*$")


class Sentence(NamedTuple):
    text: str
    start: int
    end: int


def split_sentences(text: str) -> list[Sentence]:
    """Sentences of `text` in order, stripped of surrounding whitespace, with offsets.

    Cached, since summary, topic and stance all split the same texts.
    """
    return list(_split_cached(text))


@functools.lru_cache(maxsize=4096)
def _split_cached(text: str) -> tuple[Sentence, ...]:
    return tuple(_split(text))


def _split(text: str) -> list[Sentence]:
    sentences: list[Sentence] = []
    for para_start, para_end in _paragraphs(text):
        start = para_start
        for match in _BOUNDARY.finditer(text, para_start, para_end):
            if _is_abbreviation(text[start : match.end()]):
                continue
            _append(sentences, text, start, match.end())
            start = match.end()
        _append(sentences, text, start, para_end)
    return sentences


def _paragraphs(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for match in _PARAGRAPH.finditer(text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return spans


def _is_abbreviation(candidate: str) -> bool:
    if not candidate.rstrip().endswith("."):
        return False
    match = _WORD_BEFORE.search(candidate.rstrip())
    if not match:
        return False
    word = match.group(1).rstrip(".").lower()
    # Single capital initials ("N. Korea", "Kim J. Un") are not sentence ends.
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def _append(sentences: list[Sentence], text: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start < end:
        sentences.append(Sentence(text[start:end], start, end))


def count_tokens(tokenizer: Any, text: str) -> int:
    return len(tokenizer(text, add_special_tokens=False)["input_ids"])


def pack_sentences(text: str, tokenizer: Any, budget: int) -> list[str]:
    """Chunks of whole sentences of at most `budget` tokens each; nothing is dropped.

    A sentence longer than the budget is split at token boundaries (fast-tokenizer offsets).
    """
    pieces: list[tuple[str, int]] = []
    for sentence in split_sentences(text):
        n = count_tokens(tokenizer, " " + sentence.text)
        pieces.extend(split_tokens(sentence.text, tokenizer, budget) if n > budget else [(sentence.text, n)])
    chunks, current, used = [], [], 0
    for piece, n in pieces:
        if current and used + n > budget:
            chunks.append(" ".join(current))
            current, used = [], 0
        current.append(piece)
        used += n
    if current:
        chunks.append(" ".join(current))
    # Joined sentences can tokenize slightly longer than their parts did alone.
    return [
        part
        for chunk in chunks
        for part in (
            [chunk]
            if count_tokens(tokenizer, chunk) <= budget
            else [p for p, _ in split_tokens(chunk, tokenizer, budget)]
        )
    ]


def split_tokens(text: str, tokenizer: Any, budget: int) -> list[tuple[str, int]]:
    """Token windows of `text` (sliced at token offsets) with their sizes, under the budget."""
    offsets = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)["offset_mapping"]
    step = max(1, budget - 2)
    windows = [offsets[first : first + step] for first in range(0, len(offsets), step)]
    return [(text[window[0][0] : window[-1][1]], len(window)) for window in windows]
