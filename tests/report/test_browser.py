"""The report page in a real browser (headless Chromium): every plot, embedded as a data URI, renders."""

from __future__ import annotations

import pytest

from helpers import REPO, chromium_missing, start_chromium
from nlp.config import load_config
from nlp.report.run import run_report

pytestmark = pytest.mark.skipif(chromium_missing() is not None, reason=str(chromium_missing()))


def test_report_page_images_render_in_chromium(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    run_report(load_config(), str(REPO / "data/examples/report_fixture.jsonl"), str(out))
    browser = start_chromium(tmp_path_factory.mktemp("chromium-profile"), width=1300, height=2200)
    try:
        browser.get((out / "report.html").as_uri())
        sizes = browser.execute_script(
            "return Array.from(document.images).map(i => [i.id, i.complete, i.naturalWidth, i.naturalHeight]);"
        )
        artifacts = tmp_path_factory.mktemp("artifacts")
        browser.save_screenshot(str(artifacts / "report.png"))
        print(f"report screenshot: {artifacts / 'report.png'}")
    finally:
        browser.quit()
    assert sorted(name for name, *_ in sizes) == ["outlet_stance", "stance_over_time", "topic_share", "topic_stance"]
    assert all(complete and width > 0 and height > 0 for _, complete, width, height in sizes), sizes
    assert (artifacts / "report.png").stat().st_size > 10_000
