"""Library output stays off stderr unless the caller's logging asks for it."""

from __future__ import annotations

import logging
import subprocess
import sys

from transformers.utils import logging as transformers_logging

from nlp.quiet import quiet_loading

SCRIPT = """
import logging, sys
if sys.argv[2] == "info":
    logging.basicConfig(level=logging.INFO)
from nlp import Analyzer
summarizer = {"model": sys.argv[1], "backend": "transformers"}
analyzer = Analyzer.from_dict({"runtime": {"device": "cpu"}, "summarizer": summarizer},
                              ["topic.enabled=false", "stance.enabled=false"])
print(analyzer.analyze("North Korea fired a missile.")["summary"]["method"])
"""


def analyzer_run(model, mode: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", SCRIPT, str(model), mode], capture_output=True, text=True, timeout=120)


def test_the_python_api_loads_models_without_library_bars_or_warnings(tiny_bart):
    quiet = analyzer_run(tiny_bart, "quiet")
    assert quiet.returncode == 0 and quiet.stdout.strip() == "abstractive"
    assert quiet.stderr == ""
    verbose = analyzer_run(tiny_bart, "info")  # the caller's logging says otherwise: transformers speaks
    assert verbose.returncode == 0 and "Loading weights" in verbose.stderr


def test_quiet_loading_gives_the_callers_settings_back():
    transformers_logging.set_verbosity_warning()
    transformers_logging.enable_progress_bar()
    with quiet_loading():
        assert transformers_logging.get_verbosity() == logging.ERROR
        assert not transformers_logging.is_progress_bar_enabled()
    assert transformers_logging.get_verbosity() == logging.WARNING and transformers_logging.is_progress_bar_enabled()
    transformers_logging.set_verbosity_info()
    with quiet_loading():  # a caller who made transformers talk keeps hearing it
        assert transformers_logging.get_verbosity() == logging.INFO
    transformers_logging.set_verbosity_warning()
