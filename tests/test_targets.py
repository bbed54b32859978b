from __future__ import annotations

import pytest

from nlp.schema import StanceConfig
from nlp.targets import TargetMatcher

MATCHER = TargetMatcher(StanceConfig().names)


@pytest.mark.parametrize(
    "text,found",
    [
        ("NORTH KOREA FIRES MISSILE", ["NORTH KOREA"]),
        ("North Korea's envoy left.", ["North Korea"]),
        ("Pyongyang\u2019s reply was swift.", ["Pyongyang"]),
        ("N.Korea and N. Korea", ["N.Korea", "N. Korea"]),
        ("D.P.R.K. and DPRK (DPRK)", ["D.P.R.K.", "DPRK", "DPRK"]),
        ("Kim Jong-un met Kim Jong Un.", ["Kim Jong-un", "Kim Jong Un"]),
        ("North Koreans fled south.", ["North Koreans"]),
        ("The North said it would respond.", ["The North"]),
        ("the Democratic People\u2019s Republic of Korea", ["Democratic People\u2019s Republic of Korea"]),
        ("\u201cDPRK,\u201d he said", ["DPRK"]),
    ],
)
def test_aliases_match_across_case_possessives_and_punctuation(text, found):
    assert [text[a:b] for a, b in MATCHER.mentions(text)] == found


@pytest.mark.parametrize(
    "text",
    [
        "Snow fell in the north of the country.",
        "Pyongyangite is not a word.",
        "the dprk in lower case is not the acronym",
        "South Korea and Japan held talks.",
        "Northern Korea",
    ],
)
def test_non_mentions(text):
    assert not MATCHER.mentioned_in(text)


def test_custom_target():
    matcher = TargetMatcher(["South Korea", "ROK", "Seoul"])
    assert [m for m in matcher.mentions("Seoul and the R.O.K. agreed; South Korea's army")] == [
        (0, 5),
        (14, 20),
        (29, 40),
    ]
