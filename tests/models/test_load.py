from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from helpers import NLP
from nlp.config import ModelConfig
from nlp.errors import ModelError
from nlp.models.load import embedded_path, load_encoder, load_seq2seq


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
