"""Page furniture: whole lines that are not the article, found by kind; article prose is never touched."""

from __future__ import annotations

import pytest

from nlp.clean import furniture, line_kind

FURNITURE = {
    "Home | World | Asia": "navigation",
    "Tags: North Korea, Missiles": "navigation",
    "Share this article": "share",
    "Facebook Twitter WhatsApp Email": "share",
    "Short Url: https://arab.news/abc12": "short_url",
    "https://www.example.com/news/123": "url",
    "Published: 08 Apr 2026 07:40 AM": "timestamp",
    "Updated 3 hours ago": "timestamp",
    "April 8, 2026 | 7:40 AM KST": "timestamp",
    "5 min read": "timestamp",
    "By John Smith and Jane Doe, Reuters": "byline",
    "John Smith | Staff Reporter": "byline",
    "(Reporting by Josh Smith; Editing by Lincoln Feast.)": "byline",
    "FILE PHOTO: A TV screen shows a file image of a missile launch, in Seoul. REUTERS/Kim Hong-Ji/File Photo": "caption",
    "A man watches a TV screen at a railway station in Seoul. (AP Photo/Ahn Young-joon)": "caption",
    "Photo: Yonhap": "caption",
    "Getty Images": "caption",
    "Advertisement": "advertisement",
    "ADVERTISEMENT - Scroll to continue": "advertisement",
    "Story continues below advertisement": "advertisement",
    "Sign up for our newsletter": "promotion",
    "Follow us on Twitter": "promotion",
    "\u00a9 2026 The Example Times. All rights reserved.": "copyright",
    "READ MORE: North Korea fires missile as drills begin": "read_more",
}
PROSE = [
    "By Tuesday, North Korea had fired three missiles.",
    "North Korea fired a missile on Tuesday, the military said.",
    "The missile flew 1,000 km (620 miles), officials said on April 8.",
    "North Korea tests solid-fuel missile as allies open joint drills",
    "In 2017, the Security Council banned coal exports, and China said it would comply.",
    '"We will respond," the ministry said in a statement carried by KCNA.',
    "Recommended steps",  # a section heading of an advisory, not a "Recommended" list of links
    "Related developments in the Security Council",
]


@pytest.mark.parametrize("line, kind", FURNITURE.items())
def test_furniture_lines_are_found_by_kind(line, kind):
    assert line_kind(line) == kind


@pytest.mark.parametrize("line", PROSE)
def test_article_prose_and_headlines_are_not_furniture(line):
    assert line_kind(line) is None


def test_read_more_list_is_dropped_up_to_the_next_paragraph():
    text = (
        "Japan protested.\nRead more:\n\nNorth Korea fires missile as drills begin\n"
        "Seoul and Washington to expand drills\nThe talks resumed on Friday after a month, officials said."
    )
    kinds = [(text[f.start : f.end].strip(), f.kind) for f in furniture(text)]
    assert kinds == [
        ("Read more:", "read_more"),
        ("North Korea fires missile as drills begin", "read_more"),
        ("Seoul and Washington to expand drills", "read_more"),
    ]


def test_furniture_spans_cover_whole_lines_with_their_line_break():
    text = "Advertisement\nNorth Korea fired a missile.\nShare"
    spans = [(f.start, f.end) for f in furniture(text)]
    assert spans == [(0, 14), (43, 48)] and text[0:14] == "Advertisement\n"
