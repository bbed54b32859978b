"""`nlp serve` in a real browser: headless Chromium submits a written article to the page started by the
CLI with a tiny-model config, and sees the summary, the topic bars, the stance and the highlighted evidence."""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.request

import pytest

from helpers import NLP, chromium_missing, start_chromium

pytestmark = [pytest.mark.slow, pytest.mark.skipif(chromium_missing() is not None, reason=str(chromium_missing()))]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server(tiny_serve_config):
    port = free_port()
    process = subprocess.Popen(
        [*NLP, "serve", "--config", str(tiny_serve_config), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"nlp serve exited {process.returncode}: {process.stdout.read()}")
        try:
            with urllib.request.urlopen(url + "api/health", timeout=2) as response:
                assert json.load(response)["ok"]
            break
        except OSError:
            time.sleep(0.5)
    else:
        process.kill()
        pytest.fail("nlp serve did not answer within 180 s")
    yield url
    process.terminate()
    process.wait(timeout=30)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    driver = start_chromium(tmp_path_factory.mktemp("chromium-profile"))
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory):
    folder = tmp_path_factory.mktemp("serve-artifacts")
    print(f"\nserve screenshots: {folder}")
    return folder


def wait_for(browser, css: str, timeout: float = 60):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, timeout).until(lambda b: b.find_elements(By.CSS_SELECTOR, css))


def test_page_shows_summary_scores_stance_and_highlighted_evidence(server, browser, artifacts, article):
    from selenium.webdriver.common.by import By

    browser.get(server)
    (box,) = wait_for(browser, "#article textarea")
    box.send_keys(article)
    browser.find_element(By.CSS_SELECTOR, "#analyze").click()
    marks = wait_for(browser, "#highlighted .article mark.ev")
    expected = json.loads(
        urllib.request.urlopen(
            urllib.request.Request(server + "api/analyze", json.dumps({"text": article}).encode(), method="POST")
        ).read()
    )
    evidence = expected["stance"]["evidence"]
    assert len(evidence) >= 1 and sorted(m.text for m in marks) == sorted(e["text"] for e in evidence)
    (summary,) = wait_for(browser, "#summary")
    assert expected["summary"]["text"].strip() and expected["summary"]["text"] in summary.text
    assert f"{expected['summary']['method']} summary" in summary.text
    topic = browser.find_element(By.CSS_SELECTOR, "#topic").text
    assert all(label in topic for label in ("security", "diplomacy", "sanctions"))
    (verdict,) = wait_for(browser, "#stance .verdict")
    assert verdict.get_attribute("data-label") == expected["stance"]["label"]
    assert f"confidence {expected['stance']['confidence']:.2f}" in verdict.text
    assert browser.find_elements(By.CSS_SELECTOR, "#stance .marker")
    browser.save_screenshot(str(artifacts / "serve.png"))
    assert (artifacts / "serve.png").stat().st_size > 10_000


def test_dropping_an_html_file_fills_the_text_and_analyses_it(server, browser, artifacts, article, tmp_path):
    from selenium.webdriver.common.by import By

    page = tmp_path / "article.html"
    paragraphs = "".join(f"<p>{paragraph}</p>" for paragraph in article.split("\n\n"))
    page.write_text(f"<html><head><title>Launch</title><script>x()</script></head><body>{paragraphs}</body></html>")
    browser.get(server)
    (upload,) = wait_for(browser, "#upload input[type=file]")
    upload.send_keys(str(page))
    wait_for(browser, "#highlighted .article mark.ev")
    text = browser.find_element(By.CSS_SELECTOR, "#article textarea").get_attribute("value")
    assert text.startswith("Launch\n\nNorth Korea fired") and "x()" not in text
    browser.save_screenshot(str(artifacts / "serve_upload.png"))
