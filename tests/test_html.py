"""HTML input: trafilatura extracts the article, its title and date; HTML is recognised by its start."""

from __future__ import annotations

from pathlib import Path

from nlp.html import extract_html, looks_like_html

PAGE = (Path(__file__).parent / "fixtures" / "article_page.html").read_text()


def test_extract_html_keeps_title_date_and_article_blocks():
    page = extract_html(PAGE)
    assert page.title == "North Korea fires missile as allies open drills" and page.date == "2026-04-08"
    blocks = page.text.split("\n\n")
    assert blocks[0] == page.title and blocks[1].startswith("SEOUL, April 8 -- North Korea launched")
    assert "Facebook" not in page.text and "All rights reserved" not in page.text


def test_looks_like_html():
    assert looks_like_html(PAGE) and looks_like_html("  <html><body>x</body></html>")
    assert looks_like_html("<!-- saved page -->\n<!doctype html><p>x</p>")
    assert not looks_like_html("North Korea fired a missile. <b>bold</b> words are not a page.")
