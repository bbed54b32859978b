"""Hostile model files: a malicious pickle with `allow_pickle: true`, garbage safetensors weights and
heads. Each is a model error (exit 4) in one line naming the file; nothing in the pickle runs."""

from __future__ import annotations

import json
import os
import pickle
import shutil

import pytest

from nlp.cli import main
from nlp.errors import ModelError
from nlp.models.embedded import EmbeddedHeads
from nlp.models.load import load_classifier
from nlp.schema import ModelConfig

LABELS = "topic.labels={security: about security, diplomacy: about diplomacy}"


class Payload:
    """Unpickling this would run a shell command that leaves a file behind."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.fixture
def evil_pickle(tiny_topic_classifier, tmp_path):
    folder = tmp_path / "evil"
    shutil.copytree(tiny_topic_classifier, folder)
    (folder / "model.safetensors").unlink()
    with (folder / "pytorch_model.bin").open("wb") as handle:
        pickle.dump(Payload(str(tmp_path / "ran")), handle)
    return folder


@pytest.fixture
def garbage_safetensors(tiny_topic_classifier, tmp_path):
    folder = tmp_path / "garbage"
    shutil.copytree(tiny_topic_classifier, folder)
    (folder / "model.safetensors").write_bytes(b"\xff" * 64)
    return folder


def test_a_malicious_pickle_is_a_model_error_naming_the_file_and_never_runs(evil_pickle, runtime_cpu, tmp_path):
    with pytest.raises(ModelError) as error:
        load_classifier(ModelConfig(model=str(evil_pickle), allow_pickle=True), runtime_cpu, "topic.model")
    message = str(error.value)
    assert "pytorch_model.bin" in message and "weights_only" in message and "\n" not in message
    assert "weights_only=False" not in message.replace("never set weights_only=False", "")
    assert not (tmp_path / "ran").exists()


def test_the_cli_exits_4_with_one_line_for_a_malicious_pickle(evil_pickle, tmp_path, capsys):
    code = main(
        [
            "summarize",
            "--json",
            "--text",
            "North Korea fired.",
            f"topic.model={evil_pickle}",
            "topic.allow_pickle=true",
            LABELS,
            "stance.enabled=false",
            "summarizer.enabled=false",
        ]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 4 and len(err) == 1 and "pytorch_model.bin" in err[0], err
    assert not (tmp_path / "ran").exists()


def test_garbage_safetensors_weights_are_a_model_error(garbage_safetensors, runtime_cpu):
    with pytest.raises(ModelError, match=r"model.safetensors.*not a valid safetensors file"):
        load_classifier(ModelConfig(model=str(garbage_safetensors)), runtime_cpu, "topic.model")


def test_garbage_heads_safetensors_is_a_model_error(tmp_path, runtime_cpu):
    from nlp.models.embedded import HEADS_DIR

    folder = tmp_path / "heads"
    folder.mkdir()
    (folder / "heads.json").write_text(json.dumps(json.loads((HEADS_DIR / "heads.json").read_text())))
    (folder / "heads.safetensors").write_bytes(b"\xff" * 64)
    with pytest.raises(ModelError, match="heads"):
        EmbeddedHeads(runtime_cpu, folder)
