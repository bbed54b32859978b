"""An output record as what the page shows: summary Markdown, topic bars, the stance scale, and the
text with its evidence sentences highlighted. Pure functions of (text, record); all user text is
HTML-escaped.

Highlight classes: `ev` on every evidence span, plus its side (`critical` / `neutral` /
`supportive`, from the sentence's own score and `stance.cut_points`) and, when the record says so,
its voice (`own` / `quoted`): own voice is a filled highlight, quoted voice a dashed outline.
"""

from __future__ import annotations

import html

from nlp.labels import stance_label

CSS = """
#stance .scale{position:relative;height:14px;border-radius:7px;margin:26px 4px 6px;
background:linear-gradient(90deg,#b2182b 0%,#d6d6d6 50%,#2166ac 100%)}
#stance .band{position:absolute;top:-4px;bottom:-4px;border-left:1px dashed #555;border-right:1px dashed #555}
#stance .marker{position:absolute;top:-9px;width:4px;height:32px;margin-left:-2px;background:#111;border-radius:2px}
#stance .ticks{display:flex;justify-content:space-between;font-size:12px;color:#666;margin:0 4px}
#stance .verdict{font-size:1.15em;font-weight:600;margin:4px 0}
#highlighted .article{white-space:pre-wrap;line-height:1.6;font-size:15px}
#highlighted mark.ev{border-radius:3px;padding:0 2px;color:inherit}
#highlighted mark.critical{background:#f4c7c3}#highlighted mark.supportive{background:#c6dbef}
#highlighted mark.neutral{background:#e5e5e5}
#highlighted mark.quoted{background:transparent;outline:2px dashed #888;outline-offset:1px}
#highlighted mark.quoted.critical{outline-color:#b2182b}#highlighted mark.quoted.supportive{outline-color:#2166ac}
#highlighted .legend{font-size:12px;color:#555;margin-bottom:8px}
#highlighted .legend mark{margin-right:8px}
#summary{padding:10px 12px;border:1px solid #e5e7eb;border-radius:8px}#summary .text{white-space:pre-wrap;line-height:1.5}
#summary .note{color:#666;font-size:12px;font-style:italic;margin:6px 0 0}
"""


def summary_html(record: dict) -> str:
    """The summary text (escaped, paragraphs kept) and a line on how it was made."""
    summary = record.get("summary")
    if summary is None:
        return '<p class="note">Summary switched off in this config.</p>'
    cut = f", cut to {summary['kept_fraction']:.0%}" if summary.get("truncated") else ""
    note = (
        f"{summary.get('method', '')} summary, {summary.get('input_tokens', '?')} input tokens, "
        f"{summary.get('chunks', 1)} chunk(s){cut}"
    )
    return f'<div class="text">{html.escape(summary["text"])}</div><p class="note">{html.escape(note)}</p>'


def topic_scores(record: dict) -> dict[str, float] | None:
    """Label -> score for the bars (gr.Label); None when the topic task is off."""
    topic = record.get("topic")
    return None if topic is None else {label: float(score) for label, score in topic["scores"].items()}


def stance_html(record: dict, cut_points: tuple[float, float]) -> str:
    """The score on a -1..+1 scale with the neutral band marked, its label and confidence."""
    stance = record.get("stance")
    if stance is None:
        return '<div class="verdict">Stance switched off in this config.</div>'
    target = html.escape(stance["target"])
    if stance["score"] is None:
        return f'<div class="verdict" data-label="{html.escape(stance["label"])}">Not about {target}: no stance score.</div>'
    score = float(stance["score"])
    low, high = cut_points
    at = lambda x: f"{(x + 1) / 2 * 100:.1f}%"  # noqa: E731 - a position on the scale, in CSS
    return (
        f'<div class="verdict" data-label="{html.escape(stance["label"])}" data-score="{score}">'
        f"Stance toward {target}: {html.escape(stance['label'])} ({score:+.2f}), "
        f"confidence {float(stance['confidence']):.2f}</div>"
        f'<div class="scale"><div class="band" style="left:{at(low)};width:calc({at(high)} - {at(low)})"></div>'
        f'<div class="marker" style="left:{at(score)}"></div></div>'
        '<div class="ticks"><span>-1 critical</span><span>0 neutral</span><span>+1 supportive</span></div>'
    )


def highlighted_html(text: str, record: dict, cut_points: tuple[float, float]) -> str:
    """`text` with each evidence span [start, end) wrapped in a <mark>, offsets as the record gives them."""
    stance = record.get("stance") or {}
    spans = sorted(
        (e for e in stance.get("evidence", []) if 0 <= e["start"] < e["end"] <= len(text)), key=lambda e: e["start"]
    )
    parts, at = [], 0
    for e in spans:
        if e["start"] < at:  # overlapping spans: the first one wins
            continue
        side = stance_label(float(e["score"]), cut_points)
        voice = e.get("voice")
        classes = " ".join(["ev", side] + ([html.escape(voice)] if voice else []))
        tip = f"sentence score {float(e['score']):+.2f}" + (f", {voice} voice" if voice else "")
        parts.append(html.escape(text[at : e["start"]]))
        parts.append(
            f'<mark class="{classes}" title="{html.escape(tip)}">{html.escape(text[e["start"] : e["end"]])}</mark>'
        )
        at = e["end"]
    parts.append(html.escape(text[at:]))
    return f'{legend(spans)}<div class="article">{"".join(parts)}</div>'


def legend(spans: list[dict]) -> str:
    if not spans:
        return '<div class="legend">No evidence sentences for this text.</div>'
    items = [
        '<mark class="ev critical">critical</mark>',
        '<mark class="ev neutral">neutral</mark>',
        '<mark class="ev supportive">supportive</mark>',
    ]
    if any(e.get("voice") for e in spans):
        items += [
            '<mark class="ev own neutral">own voice: filled</mark>',
            '<mark class="ev quoted">quoted: dashed</mark>',
        ]
    return f'<div class="legend">Evidence sentences: {"".join(items)}</div>'
