"""The Gradio page: paste or drop an article, see its summary, topic bars, stance scale and evidence."""

from __future__ import annotations

from nlp.errors import InputError
from nlp.serve.render import highlighted_html, stance_html, summary_html, topic_scores
from nlp.serve.service import Service
from nlp.serve.text import FILE_TYPES, read_upload


def build_page(service: Service):
    """The Gradio Blocks of the page."""
    import gradio as gr

    cut_points = service.config.stance.cut_points

    def analyze(text: str):
        try:
            record = service.analyze(text)
        except InputError as exc:
            raise gr.Error(str(exc)) from None
        return (
            summary_html(record),
            topic_scores(record),
            stance_html(record, cut_points),
            highlighted_html(text, record, cut_points),
            record,
        )

    def load(path: str | None) -> str:
        if path is None:
            return gr.update()
        try:
            title, text = read_upload(path, service.max_chars)
        except InputError as exc:
            raise gr.Error(str(exc)) from None
        return text if title is None or text.startswith(title) else f"{title}\n\n{text}"

    with gr.Blocks(title="peninsula-nlp: one article", analytics_enabled=False) as page:
        gr.Markdown("## One article: summary, topic and stance toward North Korea")
        with gr.Row():
            with gr.Column(scale=5):
                article = gr.Textbox(
                    label=f"Article (at most {service.max_chars:,} characters)",
                    lines=14,
                    max_lines=30,
                    max_length=service.max_chars,
                    elem_id="article",
                )
                upload = gr.File(
                    label="or drop a .txt / .html file", file_types=list(FILE_TYPES), height=110, elem_id="upload"
                )
                button = gr.Button("Analyze", variant="primary", elem_id="analyze")
            with gr.Column(scale=4):
                gr.Markdown("**Summary**")
                summary = gr.HTML(elem_id="summary", js_on_load=None)
                topic = gr.Label(label="Topic", num_top_classes=10, elem_id="topic")
                stance = gr.HTML(elem_id="stance", js_on_load=None)
        gr.Markdown("**The text, with the sentences that carry the stance highlighted**")
        highlighted = gr.HTML(elem_id="highlighted", js_on_load=None)
        with gr.Accordion("Output record (JSON, as `nlp summarize --json`)", open=False):
            record = gr.JSON(elem_id="record")
        outputs = [summary, topic, stance, highlighted, record]
        button.click(analyze, inputs=article, outputs=outputs, api_name="analyze")
        upload.upload(load, inputs=upload, outputs=article).success(analyze, inputs=article, outputs=outputs)
    return page
