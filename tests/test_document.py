"""A text prepared once: headline as title, furniture out, sentences whose offsets slice the original."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlp.document import prepare
from nlp.errors import InputError

PAGE = """Home | World | Asia
North Korea leaders weigh responses to missile launch
By Jane Doe
Published: 08 Apr 2026 07:40 AM
Share this article
Following the latest test, officials in Seoul met on Wednesday. They said more would follow.
A TV screen shows the launch at Seoul Station. (AP Photo/Lee Jin-man)
Advertisement
Japan said the missile landed outside its exclusive economic zone.
Read more:
North Korea fires missile as drills begin
Short Url: https://x.example/abc
"""
BODY = [
    "Following the latest test, officials in Seoul met on Wednesday.",
    "They said more would follow.",
    "Japan said the missile landed outside its exclusive economic zone.",
]
FIXTURES = Path(__file__).parent / "fixtures"


def test_furniture_is_removed_and_offsets_still_slice_the_original():
    doc = prepare(PAGE)
    assert doc.sentence_texts == BODY
    assert all(PAGE[s.start : s.end] == s.text for s in doc.sentences)
    assert doc.body.split("\n") == [" ".join(BODY[:2]), BODY[2]]
    assert doc.describe()["furniture"] == {
        "advertisement": 1,
        "byline": 1,
        "caption": 1,
        "navigation": 1,
        "read_more": 2,
        "share": 1,
        "short_url": 1,
        "timestamp": 1,
    }


def test_headline_becomes_the_title_and_is_not_a_sentence():
    doc = prepare(PAGE)
    assert doc.title == "North Korea leaders weigh responses to missile launch"
    assert doc.title_source == "headline" and doc.title not in doc.body
    assert ("headline" in {kind for _, _, kind in doc.removed}) and doc.titled_body.startswith(doc.title + "\n\n")


def test_clean_and_headline_can_be_switched_off():
    raw = prepare(PAGE, clean=False, headline=False)
    assert raw.title is None and raw.removed == () and "Advertisement" in raw.sentence_texts
    assert raw.body == PAGE.strip()


def test_a_given_title_wins_and_a_first_line_repeating_it_is_dropped():
    text = "Missile Launch Alarms Seoul\n\nNorth Korea fired a missile. Seoul protested."
    doc = prepare(text, "Missile launch alarms Seoul")
    assert doc.title == "Missile launch alarms Seoul" and doc.title_source == "given"
    assert doc.sentence_texts == ["North Korea fired a missile.", "Seoul protested."]
    other = prepare(text, "Another headline")
    assert other.title == "Another headline" and other.sentence_texts[0] == "Missile Launch Alarms Seoul"


def test_plain_text_without_title_or_furniture_describes_nothing():
    doc = prepare("North Korea fired a missile. Seoul protested.")
    assert doc.describe() is None and doc.title is None and len(doc.sentences) == 2
    assert prepare("Missile launch alarms Seoul").title is None  # a one-line text is not its own headline


def test_html_input_yields_title_date_and_body_without_furniture():
    doc = prepare((FIXTURES / "article_page.html").read_text(), format="html")
    assert doc.title == "North Korea fires missile as allies open drills" and doc.title_source == "html"
    assert doc.source == "html" and doc.date == "2026-04-08"
    assert doc.sentences[0].text.startswith("SEOUL, April 8 -- North Korea launched")
    assert not any(word in doc.body for word in ("Advertisement", "Home |", "Facebook", "AP Photo", "Related"))
    assert all(doc.text[s.start : s.end] == s.text for s in doc.sentences)  # offsets into the extracted text
    assert doc.describe() == {
        "source": "html",
        "title": doc.title,
        "title_source": "html",
        "date": "2026-04-08",
        "furniture": {"advertisement": 1},
    }


def test_html_without_an_article_is_an_input_error_with_a_code():
    with pytest.raises(InputError, match="no article text found in the HTML") as info:
        prepare("<html><body><nav>Home</nav></body></html>", format="html")
    assert info.value.code == "no_article"
