"""The record as the page shows it: evidence spans marked at their offsets, voices told apart, text escaped."""

from __future__ import annotations

import re

from nlp.serve.render import highlighted_html, stance_html, summary_html, topic_scores

TEXT = 'North Korea fired a missile. Officials said it was "a grave <threat>". Talks resume.'


def record(evidence: list[dict], score: float | None = -0.5, label: str = "critical") -> dict:
    return {
        "id": "text",
        "summary": {"text": "A missile.", "method": "extractive", "input_tokens": 20, "chunks": 1, "truncated": False},
        "topic": {"label": "security", "labels": ["security"], "scores": {"security": 0.9, "diplomacy": 0.1}},
        "stance": {"target": "North Korea", "score": score, "label": label, "confidence": 0.7, "evidence": evidence},
    }


def span(text: str, needle: str, score: float, voice: str | None = None) -> dict:
    start = text.index(needle)
    item = {"text": needle, "start": start, "end": start + len(needle), "score": score}
    return item | ({"voice": voice} if voice else {})


def test_each_evidence_span_is_marked_once_with_its_side_and_escaped():
    evidence = [
        span(TEXT, 'Officials said it was "a grave <threat>".', -0.8),
        span(TEXT, "North Korea fired a missile.", 0.0),
    ]
    page = highlighted_html(TEXT, record(evidence), (-0.25, 0.25))
    article = page.split('<div class="article">', 1)[1]
    marks = re.findall(r'<mark class="([^"]+)"[^>]*>(.*?)</mark>', article)
    assert marks == [
        ("ev neutral", "North Korea fired a missile."),
        ("ev critical", "Officials said it was &quot;a grave &lt;threat&gt;&quot;."),
    ]
    assert "<threat>" not in page and article.endswith(" Talks resume.</div>")


def test_own_and_quoted_voice_are_told_apart_when_the_record_has_them():
    evidence = [span(TEXT, "North Korea fired a missile.", -0.6, "own"), span(TEXT, "Talks resume.", 0.7, "quoted")]
    page = highlighted_html(TEXT, record(evidence), (-0.25, 0.25))
    assert '<mark class="ev critical own" title="sentence score -0.60, own voice">' in page
    assert '<mark class="ev supportive quoted" title="sentence score +0.70, quoted voice">' in page
    assert "quoted: dashed" in page  # the legend explains the two styles
    assert "quoted: dashed" not in highlighted_html(TEXT, record([span(TEXT, "Talks resume.", 0.7)]), (-0.25, 0.25))


def test_spans_outside_the_text_or_overlapping_are_skipped():
    evidence = [
        {"text": "x", "start": 500, "end": 510, "score": 0.1},
        span(TEXT, "North Korea", 0.1),
        span(TEXT, "Korea fired", 0.1),
    ]
    page = highlighted_html(TEXT, record(evidence), (-0.25, 0.25))
    assert page.count('<mark class="ev neutral" title') == 1


def test_stance_scale_places_the_marker_and_says_label_and_confidence():
    page = stance_html(record([], score=-0.5), (-0.25, 0.25))
    assert "critical (-0.50), confidence 0.70" in page and 'class="marker" style="left:25.0%"' in page
    assert 'style="left:37.5%;width:calc(62.5% - 37.5%)"' in page  # the neutral band
    assert "Not about North Korea" in stance_html(record([], score=None, label="not_about_target"), (-0.25, 0.25))


def test_summary_and_topic_views():
    shown = record([])
    shown["summary"]["text"] = "A *missile* <b>test</b>."
    assert summary_html(shown) == (
        '<div class="text">A *missile* &lt;b&gt;test&lt;/b&gt;.</div>'
        '<p class="note">extractive summary, 20 input tokens, 1 chunk(s)</p>'
    )
    assert topic_scores(record([])) == {"security": 0.9, "diplomacy": 0.1}
    assert topic_scores({"id": 1}) is None and "switched off" in summary_html({"id": 1})
