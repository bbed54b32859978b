"""Whose voice a sentence speaks in: the text's own voice, or reported speech.

Quoting is not endorsing: a wire story that quotes a minister's condemnation is not itself hostile.
So stance reads mainly the text's own voice. A sentence is `quoted` when most of it sits inside
quotation marks, or when it reports what someone said, wrote or demanded ("X said", "according
to X", "X condemned ..."); otherwise it is `own`. A text written in the DPRK's voice (KCNA or Rodong
Sinmun register: "Pyongyang, May 3 (KCNA) --", "respected Comrade Kim Jong Un", "our Republic",
"puppet", "U.S. imperialists") speaks for the DPRK: there the own voice is the DPRK's, and
`dprk_register` measures how strongly a text reads that way.
"""

from __future__ import annotations

import re

OWN, QUOTED = "own", "quoted"

_QUOTE_PAIRS = re.compile(
    r"\"[^\"]{3,}\"|\u201c[^\u201d]{3,}\u201d|(?<!\w)'[^']{12,}'(?!\w)|\u2018[^\u2019]{12,}\u2019"
)
_SPEECH = (
    r"said|says|say|told|tells|tell|added|stated|states|noted|notes|warned|warns|claimed|claims|argued|argues|"
    r"insisted|insists|asserted|asserts|declared|declares|announced|announces|wrote|writes|reported|reports|"
    r"quoted|quotes|alleged|alleges|urged|urges|accused|accuses|condemned|condemns|denounced|denounces|"
    r"slammed|slams|blasted|blasts|criticized|criticised|criticizes|criticises|vowed|vows|called on|calls on|"
    r"called for|calls for|demanded|demands|stressed|stresses|emphasized|emphasised|described|describes|"
    r"dismissed|dismisses|praised|praises|hailed|hails|accusing|saying|adding|warning|calling"
)
# "X said", "said X", "according to X", "X's statement said", "in a statement"
_REPORTED = re.compile(
    rf"(?<![\w-])(?:{_SPEECH})(?![\w-])|\baccording to\b|\bin a (?:statement|commentary|dispatch|speech|letter|"
    r"post|message|interview|report)\b|\bquoted as saying\b",
    re.IGNORECASE,
)
_DPRK_MARKERS = [
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"\(KCNA\)\s*(?:--|\u2014|-)",
        r"\b(?:respected|dear|beloved) (?:Comrade|General|Marshal)\b",
        r"\bComrade Kim Jong[ -]?Un\b",
        r"\bour (?:Republic|state|country|people|army|party|revolution|socialist)\b",
        r"\bpuppets?\b",
        r"\bU\.?S\.? imperialists?\b",
        r"\bwarmongers?\b",
        r"\bhostile (?:policy|forces|acts?)\b",
        r"\bwar deterrent\b",
        r"\bthe Party Central Committee\b",
        r"\b(?:Rodong Sinmun|Minju Cho(?:s|ss)on|Uriminzokkiri|Voice of Korea) (?:--|\u2014)",
        r"\bstooges?\b",
        r"\bthe great victory\b",
        r"\bsocialist motherland\b",
    )
]


def sentence_voice(sentence: str) -> str:
    """`quoted` for reported speech or a sentence mostly inside quotation marks, else `own`."""
    if sentence.lstrip()[:1] in ('"', "\u201c"):  # opens with a quotation
        return QUOTED
    quoted = sum(len(match.group(0)) for match in _QUOTE_PAIRS.finditer(sentence))
    if quoted >= 0.4 * len(sentence.strip()):
        return QUOTED
    return QUOTED if _REPORTED.search(sentence) else OWN


def sentence_voices(sentences: list[str]) -> list[str]:
    """The voice of each sentence; a sentence that continues an open quotation stays quoted."""
    voices, inside = [], False
    for sentence in sentences:
        voices.append(QUOTED if inside else sentence_voice(sentence))
        for char in sentence:  # is a quotation still open at the end of the sentence?
            inside = (
                True if char == "\u201c" else False if char == "\u201d" else (not inside) if char == '"' else inside
            )
    return voices


def dprk_register(text: str) -> float:
    """How strongly `text` reads as written in the DPRK's own voice, in [0, 1]: the share of the
    register's markers it uses (3 or more distinct markers count as fully so)."""
    found = sum(1 for marker in _DPRK_MARKERS if marker.search(text))
    return min(1.0, found / 3.0)
