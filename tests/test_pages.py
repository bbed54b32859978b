import base64

import pytest

from nlp.pages import data_uri, html_page, markdown

BLOCKS = [
    ("h1", "Report"),
    ("p", "Scores of `topic`."),
    ("list", ["one", "two"]),
    ("img", "plot.png", "a plot"),
    ("table", ["label", "f1"], [["a|b", 0.5], ["line\nbreak", 1]]),
]


def test_markdown_renders_every_kind_and_escapes_table_cells():
    text = markdown(BLOCKS)
    assert text.startswith("# Report\n\nScores of `topic`.\n\n- one\n- two\n\n![a plot](plot.png)\n")
    assert "| label | f1 |\n|---|---|\n| a\\|b | 0.5 |\n| line break | 1 |" in text


def test_html_is_one_page_with_code_escaping_and_the_image_source_given():
    page = html_page("T <1>", "p{}", BLOCKS, lambda name: f"data:{name}")
    assert page.startswith("<!DOCTYPE html>") and "<title>T &lt;1&gt;</title>" in page
    assert "<p>Scores of <code>topic</code>.</p>" in page and "<li>two</li>" in page
    assert '<img src="data:plot.png" id="plot" alt="a plot">' in page
    assert "<td>a|b</td>" in page


def test_blocks_of_a_reports_own_are_handed_to_extra():
    seen = []
    text = markdown([("h2", "x"), ("mine", 1, 2)], lambda kind, rest: seen.append((kind, rest)) or ["MINE"])
    assert seen == [("mine", [1, 2])] and text.endswith("MINE")
    with pytest.raises(ValueError, match="unknown report block 'mine'"):
        markdown([("mine",)])


def test_data_uri_embeds_the_file(tmp_path):
    (tmp_path / "p.png").write_bytes(b"\x89PNG")
    assert data_uri(tmp_path / "p.png") == "data:image/png;base64," + base64.b64encode(b"\x89PNG").decode()
