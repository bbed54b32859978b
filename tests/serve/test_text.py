"""What the page accepts: pasted text, a .txt or .html file, all under one size limit."""

from __future__ import annotations

import pytest

from nlp.errors import InputError
from nlp.serve.text import checked_text, html_to_text, read_upload


def test_checked_text_refuses_empty_and_over_the_limit():
    assert checked_text("North Korea fired.", 100) == "North Korea fired."
    with pytest.raises(InputError, match="is empty"):
        checked_text("  \n", 100)
    with pytest.raises(InputError, match=r"101 characters, over the limit of 100 \(serve.max_chars\)"):
        checked_text("x" * 101, 100)


def test_html_to_text_keeps_the_visible_text_in_blocks_and_the_title():
    markup = (
        "<html><head><title>Missile  test</title><style>p{color:red}</style></head><body>"
        "<nav>Home | World</nav><script>var x = 1;</script>"
        "<h1>North Korea fires missile</h1><p>Pyongyang &amp; Seoul traded   warnings.</p><p>Talks stalled.</p>"
        "</body></html>"
    )
    title, text = html_to_text(markup)
    assert title == "Missile test"
    assert text == "North Korea fires missile\n\nPyongyang & Seoul traded warnings.\n\nTalks stalled."


def test_read_upload_reads_txt_and_html_and_refuses_the_rest(tmp_path):
    (tmp_path / "a.txt").write_text("\ufeffNorth Korea fired.", encoding="utf-8")
    assert read_upload(tmp_path / "a.txt", 1000) == (None, "North Korea fired.")
    (tmp_path / "a.html").write_text("<title>T</title><p>Body.</p>", encoding="utf-8")
    assert read_upload(tmp_path / "a.html", 1000) == ("T", "Body.")
    (tmp_path / "a.pdf").write_bytes(b"%PDF")
    with pytest.raises(InputError, match="a.pdf: not a text or HTML file"):
        read_upload(tmp_path / "a.pdf", 1000)
    (tmp_path / "b.txt").write_bytes(b"caf\xe9")
    with pytest.raises(InputError, match=r"b.txt: not UTF-8 text \(byte 3\)"):
        read_upload(tmp_path / "b.txt", 1000)
    (tmp_path / "long.txt").write_text("x" * 1001)
    with pytest.raises(InputError, match="long.txt has 1,001 characters"):
        read_upload(tmp_path / "long.txt", 1000)
