"""Finding mentions of a stance target ("North Korea", "DPRK", "Pyongyang's", "Kim Jong-un", ...).

Rules, so that "the North" is not "the north of the country":
- a capitalised alias word must be capitalised in the text (the rest of the word may be any
  case: "NORTH KOREA" matches "North Korea"); lower-case alias words match any case;
- an all-capitals acronym ("DPRK") matches only in capitals, with or without dots ("D.P.R.K.");
- words may be separated by spaces or hyphens ("Kim Jong-un" = "Kim Jong Un"), and "N. Korea" also
  matches "N.Korea";
- a mention is a whole word: "Pyongyang's" and "(DPRK)" match, "DPRKs" and "Pyongyangite" do not.
"""

from __future__ import annotations

import re

_SEPARATOR = r"[\s\-\u2010\u2011]+"


class TargetMatcher:
    """Compiled alias patterns; `mentions` gives (start, end) spans in the text."""

    def __init__(self, names: list[str]):
        words = [name for name in names if name.strip()]
        # Longest first, so "North Koreans" wins over "North Korea".
        patterns = [_alias_pattern(name) for name in sorted(words, key=len, reverse=True)]
        self.pattern = re.compile(r"(?<![\w])(?:" + "|".join(patterns) + r")(?![\w])")

    def mentions(self, text: str) -> list[tuple[int, int]]:
        return [match.span() for match in self.pattern.finditer(text)]

    def mentioned_in(self, text: str) -> bool:
        return self.pattern.search(text) is not None


def _alias_pattern(alias: str) -> str:
    parts = []
    words = alias.split()
    for index, word in enumerate(words):
        parts.append(_word_pattern(word))
        if index < len(words) - 1:
            parts.append(r"\s*" if word.endswith(".") else _SEPARATOR)
    return "".join(parts)


def _word_pattern(word: str) -> str:
    if len(word) > 1 and word.isalpha() and word.isupper():
        return r"\.?".join(re.escape(letter) for letter in word) + r"(?:\.(?!\w))?"
    pieces = re.split(r"(-)", word)  # "Jong-un": each hyphen part follows the capital rule
    out = []
    for piece in pieces:
        if piece == "-":
            out.append(_SEPARATOR)
        elif piece[:1].isupper():
            out.append(re.escape(piece[0]) + (f"(?i:{_apostrophes(piece[1:])})" if piece[1:] else ""))
        elif piece:
            out.append(f"(?i:{_apostrophes(piece)})")
    return "".join(out)


def _apostrophes(text: str) -> str:
    """Escape, letting a straight apostrophe also match a typographic one."""
    return re.escape(text).replace("'", "['\u2019]")
