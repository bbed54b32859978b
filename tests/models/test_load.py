from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from helpers import NLP
from nlp.errors import ModelError
from nlp.models.load import embedded_path, load_encoder, load_seq2seq
from nlp.schema import ModelConfig


def test_local_directory_loads_in_eval_mode(tiny_bart, runtime_cpu):
    tokenizer, model = load_seq2seq(ModelConfig(model=str(tiny_bart)), runtime_cpu)
    assert not model.training and tokenizer.model_max_length == 64


def test_each_model_is_loaded_once_per_process(tiny_bart, runtime_cpu):
    first = load_seq2seq(ModelConfig(model=str(tiny_bart)), runtime_cpu)
    second = load_seq2seq(ModelConfig(model=str(tiny_bart)), runtime_cpu)
    assert first[1] is second[1]


def test_embedded_minilm_ships_with_the_install(runtime_cpu):
    assert (embedded_path() / "model.safetensors").is_file()
    tokenizer, model = load_encoder(ModelConfig(model="embedded"), runtime_cpu, key="summarizer.model")
    assert model.config.hidden_size == 384


def test_missing_hub_model_gives_one_clear_line(runtime_cpu):
    with pytest.raises(ModelError) as info:
        load_seq2seq(ModelConfig(model="nobody/no-such-model"), runtime_cpu)
    message = str(info.value)
    assert "\n" not in message
    assert "summarizer.model 'nobody/no-such-model'" in message
    assert "Hugging Face cache" in message and "HF_HUB_OFFLINE" in message
    assert "hf download nobody/no-such-model" in message


def test_missing_directory_names_the_path(runtime_cpu, tmp_path):
    with pytest.raises(ModelError, match=r"no such directory .*fix the path"):
        load_seq2seq(ModelConfig(model=str(tmp_path / "gone")), runtime_cpu)


@pytest.fixture(scope="module")
def pickle_only(tiny_bart, tmp_path_factory):
    import torch
    from transformers import AutoModelForSeq2SeqLM

    path = tmp_path_factory.mktemp("pickle-bart")
    for item in tiny_bart.iterdir():
        if item.suffix != ".safetensors":
            shutil.copy(item, path / item.name)
    model = AutoModelForSeq2SeqLM.from_pretrained(tiny_bart)
    torch.save(model.state_dict(), path / "pytorch_model.bin")
    return path


def test_pickle_checkpoint_refused_by_default(pickle_only, runtime_cpu):
    with pytest.raises(ModelError, match=r"only a pickle checkpoint \(pytorch_model.bin\).*allow_pickle: true"):
        load_seq2seq(ModelConfig(model=str(pickle_only)), runtime_cpu)


def test_pickle_checkpoint_loads_when_allowed(pickle_only, runtime_cpu):
    _, model = load_seq2seq(ModelConfig(model=str(pickle_only), allow_pickle=True), runtime_cpu)
    assert model.config.d_model == 16


def make_hub_cache(root, repo_id: str, source) -> str:
    """The on-disk layout huggingface_hub writes when it downloads `repo_id`."""
    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = root / f"models--{repo_id.replace('/', '--')}"
    snapshot = repo / "snapshots" / commit
    shutil.copytree(source, snapshot)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    return commit


def test_hub_id_resolves_from_the_local_cache_offline(tiny_bart, tmp_path):
    commit = make_hub_cache(tmp_path / "hub", "peninsula-test/tiny-bart", tiny_bart)
    env = os.environ | {"HF_HUB_CACHE": str(tmp_path / "hub"), "HF_HUB_OFFLINE": "1"}
    for extra in ([], [f"summarizer.revision={commit}"]):
        result = subprocess.run(
            [
                *NLP,
                "summarize",
                "--json",
                "--text",
                "North Korea fired a missile.",
                "summarizer.model=peninsula-test/tiny-bart",
                *extra,
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        assert '"method": "abstractive"' in result.stdout


# An unreachable hub: HF_ENDPOINT at a closed local port, a fresh cache, offline mode off.


def closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens once it is closed: connections are refused


def no_hub_env(tmp_path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_CACHE")}
    return env | {"HF_ENDPOINT": f"http://127.0.0.1:{closed_port()}", "HF_HOME": str(tmp_path / "hf")}


def test_unreachable_hub_and_uncached_model_is_one_line_within_seconds(tmp_path):
    import time

    started = time.monotonic()
    result = subprocess.run(
        [*NLP, "summarize", "--text", "North Korea fired a missile.", "summarizer.model=nobody/not-cached"],
        capture_output=True,
        text=True,
        env=no_hub_env(tmp_path),
        timeout=120,
    )
    seconds = time.monotonic() - started
    assert result.returncode == 4, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    line = lines[0]
    assert "summarizer.model 'nobody/not-cached'" in line and "cannot be reached" in line
    assert str(tmp_path / "hf" / "hub") in line  # the cache it looked in
    assert "HF_HUB_OFFLINE=1" in line and "connected machine" in line
    assert seconds < 30, f"took {seconds:.1f} s"  # was a minute of retries; torch's import is most of this


def test_unreachable_hub_reads_a_cached_model_from_the_cache(tiny_bart, tmp_path):
    make_hub_cache(tmp_path / "hf" / "hub", "peninsula-test/tiny-bart", tiny_bart)
    args = ["summarize", "--json", "--text", "Pyongyang fired.", "summarizer.model=peninsula-test/tiny-bart"]
    result = subprocess.run(
        [*NLP, *args],
        capture_output=True,
        text=True,
        env=no_hub_env(tmp_path),
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert '"method": "abstractive"' in result.stdout
    assert result.stderr.count("cannot be reached") == 1 and "HF_HUB_OFFLINE=1" in result.stderr
    assert "Retrying" not in result.stderr


def test_the_hub_is_probed_once_per_process(monkeypatch):
    import nlp.models.load as load

    calls = []

    class Refusing:
        def head(self, url, **options):
            calls.append(options["timeout"])
            raise ConnectionRefusedError("refused")

    monkeypatch.setattr("huggingface_hub.get_session", lambda: Refusing())
    monkeypatch.setattr(load, "_HUB_ANSWERS", {})
    assert load.hub_unreachable() == "refused" and load.hub_unreachable() == "refused"
    assert calls == [load.PROBE_SECONDS]
