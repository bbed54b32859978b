"""GPU checks (marked `gpu`, not in the default suite): run with `pytest -m gpu` on a CUDA machine."""

from __future__ import annotations

import json

import pytest

from helpers import CORPUS, long_text

pytestmark = pytest.mark.gpu
torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def cuda_runtime():
    from nlp.runtime import resolve_runtime
    from nlp.schema import RuntimeConfig

    assert torch.cuda.is_available(), "these checks need a CUDA device"
    return resolve_runtime(RuntimeConfig(device="cuda", dtype="auto"))


def test_auto_picks_cuda_and_bfloat16():
    from nlp.runtime import resolve_runtime
    from nlp.schema import RuntimeConfig

    runtime = resolve_runtime(RuntimeConfig())
    assert runtime.device.type == "cuda" and runtime.dtype == torch.bfloat16


def test_device_index_beyond_the_gpus_is_an_error():
    from nlp.errors import ConfigError
    from nlp.runtime import resolve_runtime
    from nlp.schema import RuntimeConfig

    with pytest.raises(ConfigError, match="CUDA device"):
        resolve_runtime(RuntimeConfig(device=f"cuda:{torch.cuda.device_count()}"))


def test_summarizer_runs_on_the_gpu_in_bfloat16(tiny_bart, cuda_runtime):
    from nlp.schema import SummarizerConfig
    from nlp.tasks.summarize import build_summarizer

    # the transformers backend (CTranslate2 on CUDA: tests/models/test_ctranslate.py)
    summarizer = build_summarizer(SummarizerConfig(model=str(tiny_bart), backend="transformers"), cuda_runtime)
    assert next(summarizer.model.parameters()).device.type == "cuda"
    assert next(summarizer.model.parameters()).dtype == torch.bfloat16
    records = summarizer.summarize([CORPUS[0], long_text(30)])
    assert records[1]["chunks"] >= 2 and all(r["method"] == "abstractive" for r in records)


def test_nli_topic_and_stance_on_the_gpu(tiny_nli, cuda_runtime):
    from nlp.schema import StanceConfig, TopicConfig
    from nlp.tasks.stance import build_stance_scorer
    from nlp.tasks.topic import build_topic_classifier

    labels = {"security": "about security", "diplomacy": "about diplomacy", "sanctions": "about sanctions"}
    topic = build_topic_classifier(TopicConfig(model=str(tiny_nli), labels=labels), cuda_runtime)
    assert all(0 <= s <= 1 for s in topic.classify([long_text(20)])[0]["scores"].values())
    stance = build_stance_scorer(StanceConfig(model=str(tiny_nli)), cuda_runtime)
    assert -1 <= stance.score([CORPUS[4]])[0]["score"] <= 1


def test_infer_on_the_gpu_matches_the_cpu_ids(tiny_bart, tiny_nli, tmp_path):
    from nlp.config import load_config
    from nlp.infer.run import run_infer

    items = [{"id": f"d{i}", "text": CORPUS[i % len(CORPUS)]} for i in range(40)]
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(i) + "\n" for i in items))
    base = [
        f"summarizer.model={tiny_bart}",
        f"topic.model={tiny_nli}",
        f"stance.model={tiny_nli}",
        "topic.labels={security: about security, diplomacy: about diplomacy, sanctions: about sanctions}",
        "infer.progress=false",
    ]
    for device in ("cuda", "cpu"):
        config = load_config(None, [*base, f"runtime.device={device}"])
        summary = run_infer(config, str(tmp_path / "in.jsonl"), str(tmp_path / f"{device}.jsonl"))
        assert summary["ok"] == 40
    ids = {
        d: [json.loads(line)["id"] for line in (tmp_path / f"{d}.jsonl").read_text().splitlines()]
        for d in ("cuda", "cpu")
    }
    assert ids["cuda"] == ids["cpu"] == [i["id"] for i in items]


def test_real_cuda_out_of_memory_is_split_not_fatal(tmp_path):
    from nlp.config import load_config
    from nlp.infer.run import run_infer

    items = [{"id": f"d{i}", "text": "North Korea fired a missile."} for i in range(8)]
    items[3]["text"] = "HUGE " + items[3]["text"]
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(i) + "\n" for i in items))
    free, _ = torch.cuda.mem_get_info()

    def analyze(texts, ids):
        if any(t.startswith("HUGE") for t in texts):
            torch.empty(int(free * 4), dtype=torch.uint8, device="cuda")  # a real allocator failure
        return [{"id": i, "summary": {"text": t}} for t, i in zip(texts, ids)]

    config = load_config(None, ["infer.progress=false", "runtime.device=cuda"])
    summary = run_infer(config, str(tmp_path / "in.jsonl"), str(tmp_path / "out.jsonl"), analyze=analyze)
    assert summary["ok"] == 7 and summary["errors_by_code"] == {"out_of_memory": 1}


def test_finetune_trains_on_the_gpu_in_bfloat16_and_loads_back(tiny_bert_base, tiny_bart, tmp_path):
    """TopicConfig classifier and summarizer: Trainer on cuda with bf16 (runtime.dtype), outputs load on the GPU."""
    from nlp.config import load_config
    from nlp.finetune.config import load_finetune_config
    from nlp.finetune.run import run_finetune
    from nlp.tasks.analyze import Analyzer

    rows = [
        {"text": text, "topics": [label], "summary": text.split(",")[0]}
        for text, label in zip(CORPUS * 2, ["security", "diplomacy", "sanctions", "security"] * 4)
    ]
    data = tmp_path / "train.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in rows))
    outputs = {}
    for task, base, field in (
        ("topic", tiny_bert_base, "label_field: topics"),
        ("summarization", tiny_bart, "summary_field: summary"),
    ):
        path = tmp_path / f"{task}.yaml"
        path.write_text(
            f"task: {task}\nmodel: {base}\noutput_dir: {tmp_path / task}\nmax_length: 48\n"
            f"runtime: {{device: cuda, dtype: bfloat16}}\ndata: {{train_file: {data}, {field}}}\n"
            "training: {max_steps: 2, disable_tqdm: true}\n"
        )
        config = load_finetune_config(str(path))
        result = run_finetune(config)
        state = json.loads((tmp_path / task / "checkpoint-2" / "trainer_state.json").read_text())
        assert state["global_step"] == 2 and result["metrics"]
        outputs[task] = tmp_path / task
    overrides = [
        f"topic.model={outputs['topic']}",
        f"summarizer.model={outputs['summarization']}",
        "stance.enabled=false",
        "runtime.device=cuda",
    ]
    record = Analyzer(load_config(None, overrides)).analyze(CORPUS[0])
    assert record["summary"]["method"] == "abstractive" and record["topic"]["label"] in {
        "security",
        "diplomacy",
        "sanctions",
    }
