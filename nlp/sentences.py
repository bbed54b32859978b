"""Sentence splitting with character offsets into the original text, aware of line structure.

A rule-based splitter tuned for English news copy. Text is cut first into paragraphs (blank lines),
then into segments at the line breaks that end a headline, dateline, byline or list item (a line
without closing punctuation followed by one that starts a new unit), then into sentences after
. ! ? (and closing quotes or brackets) followed by whitespace and an upper-case letter, digit or
quote, but not after common abbreviations ("U.S.", "N. Korea", "Gen.", "Jan.", "No. 2"). A
paragraph that is hard-wrapped (its line breaks fall mid-sentence) keeps its lines together.
Offsets always slice the original text exactly: `text[start:end] == sentence`.
"""

from __future__ import annotations

import functools
import re
from typing import Any, NamedTuple

_ABBREVIATIONS = set(
    """mr mrs ms dr prof gen lt col maj capt cmdr adm sgt rep sen gov pres amb st jr sr no vs etc inc corp co ltd dept est approx fig
jan feb mar apr jun jul aug sep sept oct nov dec u.s u.n u.k e.g i.e a.m p.m""".split()
)
_BOUNDARY = re.compile(r"[.!?]+[\"'\u201d\u2019)\]]*(?=\s+[\"'\u201c\u2018(\[]?[A-Z0-9])")
_PARAGRAPH = re.compile(r"\n\s*\n")
_WORD_BEFORE = re.compile(r"([\w.]+)[.!?]*[\"'\u201d\u2019)\]]*$")
_CLOSED = re.compile(r"[.!?\u2026][\"'\u201d\u2019)\]]*$")
_LIST_ITEM = re.compile(r"^\s*(?:[-*\u2022\u25aa\u25cf\u25e6\u2013\u2014]|\d{1,2}[.)]|\(\w\))\s+\S")
_BYLINE = re.compile(
    r"^\(?\s*(?i:by|written by|reporting by|reported by|words by|editing by|compiled by)\s+[A-Z\u00c0-\u024f]"
)
_DATELINE = re.compile(
    r"^[A-Z][\w.'\u2019 -]{1,40}?(?:,\s*[A-Z][a-z]{2,8}\.?\s+\d{1,2}(?:,\s*\d{4})?)?\s*(?:\([^)]{1,40}\))?"
    r"\s*(?:--|-|\u2014|\u2013)\s*$"
)
# A line ending with one of these words (or a comma, hyphen, open bracket) continues on the next line.
_CONTINUATION = set(
    """a an the and or nor but of to in on at for from by with as into onto over under about after before
between than that which who whose whom its their his her our your this these those is are was were be been
has have had will would can could may might should must not no very said says told""".split()
)


class Sentence(NamedTuple):
    text: str
    start: int
    end: int


def split_sentences(text: str, spans: tuple[tuple[int, int], ...] | None = None) -> list[Sentence]:
    """Sentences of `text` in order, stripped of surrounding whitespace, with offsets into `text`.

    `spans` limits splitting to those (start, end) regions of `text` (what cleaning kept); no
    sentence crosses a region's edge. Cached, since summary, topic and stance split the same texts.
    """
    return list(_split_cached(text, spans if spans is not None else ((0, len(text)),)))


@functools.lru_cache(maxsize=4096)
def _split_cached(text: str, spans: tuple[tuple[int, int], ...]) -> tuple[Sentence, ...]:
    sentences: list[Sentence] = []
    first = len(text) - len(text.lstrip())
    for span_start, span_end in spans:
        for para_start, para_end in _paragraphs(text, span_start, span_end):
            for seg_start, seg_end in _segments(text, para_start, para_end, para_start <= first):
                _split_segment(text, seg_start, seg_end, sentences)
    return tuple(sentences)


def _split_segment(text: str, seg_start: int, seg_end: int, sentences: list[Sentence]) -> None:
    start = seg_start
    for match in _BOUNDARY.finditer(text, seg_start, seg_end):
        if _is_abbreviation(text[start : match.end()]):
            continue
        _append(sentences, text, start, match.end())
        start = match.end()
    _append(sentences, text, start, seg_end)


def _paragraphs(text: str, span_start: int, span_end: int) -> list[tuple[int, int]]:
    spans, start = [], span_start
    for match in _PARAGRAPH.finditer(text, span_start, span_end):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, span_end))
    return spans


def _segments(text: str, start: int, end: int, opens_text: bool) -> list[tuple[int, int]]:
    """The paragraph cut at the line breaks that end a unit (headline, dateline, byline, list item)."""
    lines = _lines(text, start, end)
    if len(lines) < 2:
        return [(start, end)]
    texts = [text[a:b].strip() for a, b in lines]
    wrapped = is_wrapped(texts)
    cuts = [
        i
        for i in range(len(lines) - 1)
        if ends_segment(texts[i], texts[i + 1], wrapped) or (i == 0 and opens_text and is_headline(texts[0]))
    ]
    bounds = [start] + [lines[i][1] for i in cuts] + [end]
    return list(zip(bounds[:-1], bounds[1:]))


def _lines(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """(start, end) of each non-blank line in text[start:end], the line break excluded."""
    out, position = [], start
    while position < end:
        stop = text.find("\n", position, end)
        stop = end if stop < 0 else stop
        if text[position:stop].strip():
            out.append((position, stop))
        position = stop + 1
    return out


def is_list_item(line: str) -> bool:
    return bool(_LIST_ITEM.match(line))


def is_byline(line: str) -> bool:
    """'By Jane Doe', 'By JANE DOE and John Roe, Reuters', '(Reporting by ...; Editing by ...)'."""
    line = line.strip()
    if not _BYLINE.match(line) or len(line.split()) > 16:
        return False
    # "By Tuesday, the North had fired three missiles." is a sentence, not a byline.
    return line.startswith("(") or not is_closed(line)


def is_dateline(line: str) -> bool:
    """A dateline alone on its line: 'SEOUL, April 8 --', 'Pyongyang, May 3 (KCNA) --'."""
    return bool(_DATELINE.match(line.strip())) and len(line.split()) <= 8


def is_closed(line: str) -> bool:
    """Ends like a sentence: . ! ? or an ellipsis, maybe followed by closing quotes or brackets."""
    return bool(_CLOSED.search(line.rstrip()))


def continues(line: str) -> bool:
    """The line stops mid-phrase: on a comma, hyphen, open bracket, or a function word."""
    line = line.rstrip()
    if not line or line[-1] in ",-\u2013\u2014(/&":
        return True
    return line.split()[-1].lower().strip("\"'\u201c\u2018") in _CONTINUATION


def starts_unit(line: str) -> bool:
    """Starts like a new sentence or unit: a capital, digit, opening quote or bullet."""
    line = line.lstrip()
    return bool(line) and (
        line[0].isupper() or line[0].isdigit() or line[0] in "\"'\u201c\u2018([" or is_list_item(line)
    )


def is_headline(line: str, question_ok: bool = False) -> bool:
    """A headline-like line: 2-25 words, starting like a title, no closing punctuation (a closing
    '?' only with `question_ok`), not stopping mid-phrase, not a dateline, byline or list item."""
    line = line.strip()
    words = line.split()
    if not 2 <= len(words) <= 25 or not starts_unit(line) or is_list_item(line):
        return False
    if is_byline(line) or is_dateline(line) or continues(line) or line.endswith(":"):
        return False
    return not is_closed(line) or (question_ok and line.endswith("?") and len(words) <= 15)


def is_wrapped(lines: list[str]) -> bool:
    """A hard-wrapped paragraph: at least half of its line breaks fall mid-sentence."""
    breaks = len(lines) - 1
    mid = sum(
        1
        for line, after in zip(lines, lines[1:])
        if not is_closed(line) and not is_list_item(after) and (continues(line) or not starts_unit(after))
    )
    return breaks > 0 and mid > 0 and 2 * mid >= breaks


def ends_segment(line: str, after: str, wrapped: bool) -> bool:
    """Whether the break between `line` and the next line `after` ends a unit."""
    if is_list_item(after) or is_list_item(line):
        return True
    if any(check(x) for check in (is_byline, is_dateline) for x in (line, after)):
        return True
    if wrapped or is_closed(line) or continues(line) or not starts_unit(after):
        return False  # a closed line is cut by the sentence rule, with its abbreviation checks
    return len(line.split()) <= 25


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
