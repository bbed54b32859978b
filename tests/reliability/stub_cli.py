"""`nlp ...` (nlp.cli.main) with a deterministic stub in place of the models, for tests that need real
processes (locks, signals, kill -9) without paying for model loading at every start.

`NLP_STUB_DELAY` (seconds, default 0) is slept per batch, so a test can catch a run mid-way.
"""

from __future__ import annotations

import os
import sys
import time

import nlp.infer.run


def analyze(texts: list[str], ids: list) -> list[dict]:
    time.sleep(float(os.environ.get("NLP_STUB_DELAY", "0")))
    return [{"summary": {"text": text[:24], "method": "stub", "chunks": 1}} for text in texts]


nlp.infer.run.build_analyze = lambda config: analyze

if __name__ == "__main__":
    from nlp.cli import main

    sys.exit(main(sys.argv[1:]))
