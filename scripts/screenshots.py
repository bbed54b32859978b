"""The README's screenshots: docs/report.png (the report of data/examples/report_fixture.jsonl) and
docs/serve.png (the local page with data/examples/article.txt, offline default).

    python scripts/screenshots.py [--port 7869]

Needs the test extras (selenium) and Debian's chromium and chromium-driver, as the browser tests do.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"]
FLAGS += ["--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium(profile: str, width: int, height: int):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in [*FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}"]:
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)


def report_shot(tmp: Path, out: Path) -> None:
    folder = tmp / "report"
    nlp = [sys.executable, "-m", "nlp", "report", "--input", "data/examples/report_fixture.jsonl"]
    subprocess.run([*nlp, "--output", str(folder)], check=True, cwd=REPO)
    browser = chromium(str(tmp / "profile-report"), 1300, 2450)
    try:
        browser.get((folder / "report.html").as_uri())
        browser.save_screenshot(str(out))
    finally:
        browser.quit()


def serve_shot(tmp: Path, out: Path, port: int) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    server = subprocess.Popen([sys.executable, "-m", "nlp", "serve", "--port", str(port)])
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(240):
            try:
                json.load(urllib.request.urlopen(url + "api/health", timeout=2))
                break
            except OSError:
                time.sleep(0.5)
        browser = chromium(str(tmp / "profile-serve"), 1400, 1500)
        try:
            browser.get(url)
            box = WebDriverWait(browser, 60).until(lambda b: b.find_element(By.CSS_SELECTOR, "#article textarea"))
            box.send_keys((REPO / "data/examples/article.txt").read_text(encoding="utf-8"))
            browser.find_element(By.CSS_SELECTOR, "#analyze").click()
            WebDriverWait(browser, 120).until(lambda b: b.find_elements(By.CSS_SELECTOR, "#highlighted .article mark"))
            browser.execute_script("arguments[0].scrollTop = 0;", box)
            time.sleep(2)  # let the page finish fading in the outputs
            browser.save_screenshot(str(out))
        finally:
            browser.quit()
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=7869)
    args = parser.parse_args()
    docs = REPO / "docs"
    docs.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        report_shot(Path(folder), docs / "report.png")
        serve_shot(Path(folder), docs / "serve.png", args.port)
    print(f"wrote {docs / 'report.png'} and {docs / 'serve.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
