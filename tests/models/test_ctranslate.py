from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from helpers import CORPUS, NLP, REPO, long_text
from nlp.errors import ConfigError
from nlp.models import conversion, ctranslate
from nlp.runtime import resolve_runtime
from nlp.schema import ModelConfig, RuntimeConfig, SummarizerConfig
from nlp.tasks.summarize import build_summarizer

pytest.importorskip("ctranslate2")


def make(path, runtime, tmp_path, **settings):
    config = {"backend": "ctranslate2", "compute_type": "float32", "convert_dir": str(tmp_path / "ct2")} | settings
    return build_summarizer(SummarizerConfig(model=str(path), **config), runtime)


def conversions(root) -> list[str]:
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


@pytest.mark.parametrize("fixture", ["tiny_bart", "tiny_t5"])
def test_converted_model_summarizes_short_and_chunked_input(fixture, runtime_cpu, tmp_path, request):
    path = request.getfixturevalue(fixture)
    pinned = {"min_new_tokens": 5, "max_new_tokens": 5}
    ours = make(path, runtime_cpu, tmp_path, generation=pinned)
    records = ours.summarize([CORPUS[0], long_text(30)])
    assert [r["chunks"] == 1 for r in records] == [True, False]
    assert all(r["backend"] == "ctranslate2" and r["compute_type"] == "float32" for r in records)
    assert all(r["method"] == "abstractive" and isinstance(r["text"], str) for r in records)
    # the same settings reach both backends: pinned lengths give as many new tokens on each
    reference = build_summarizer(
        SummarizerConfig(model=str(path), backend="transformers", generation=pinned), runtime_cpu
    )
    ids = reference.tokenizer(CORPUS[0])["input_ids"]
    ours_ids = ours.engine.generate([ids], None)[0]
    theirs = reference.engine.generate([ids], None)[0][1:]  # after the decoder start token
    eos = reference.model.generation_config.forced_eos_token_id
    assert len(ours_ids) == len(theirs) - (eos is not None)  # a forced end token is no text


def test_second_run_reuses_the_conversion(tiny_bart, runtime_cpu, tmp_path, monkeypatch):
    root = tmp_path / "ct2"
    first = conversion.converted(ModelConfig(model=str(tiny_bart)), None, "int8", root)
    assert (first / conversion.MARKER).is_file() and conversions(root) == [first.name]
    monkeypatch.setattr(conversion, "_converter", lambda *a: pytest.fail("converted again"))
    assert conversion.converted(ModelConfig(model=str(tiny_bart)), None, "int8", root) == first


def test_cache_is_keyed_by_compute_type_and_by_the_model_files(tiny_t5, runtime_cpu, tmp_path):
    source = tmp_path / "model"
    source.mkdir()
    for item in tiny_t5.iterdir():
        (source / item.name).write_bytes(item.read_bytes())
    root = tmp_path / "ct2"
    int8 = conversion.converted(ModelConfig(model=str(source)), None, "int8", root)
    float32 = conversion.converted(ModelConfig(model=str(source)), None, "float32", root)
    assert int8 != float32
    os.utime(source / "model.safetensors", (1, 1))  # the folder was retrained in place
    assert conversion.converted(ModelConfig(model=str(source)), None, "int8", root) not in (int8, float32)


def test_a_killed_conversion_is_never_used_and_is_converted_again(tiny_bart, tmp_path):
    root = tmp_path / "ct2"
    # A conversion that writes part of its files, then hangs until it is killed with SIGKILL.
    script = textwrap.dedent(
        f"""
        import time
        from pathlib import Path
        from nlp.schema import ModelConfig
        from nlp.models import conversion

        class Hanging:
            def convert(self, out, **kwargs):
                Path(out, "model.bin").write_bytes(b"half a model")
                Path(out, "ready").touch()
                time.sleep(120)

        conversion._converter = lambda *a: Hanging()
        conversion.converted(ModelConfig(model={str(tiny_bart)!r}), None, "int8", {str(root)!r})
        """
    )
    process = subprocess.Popen([sys.executable, "-c", script], cwd=REPO)
    try:
        deadline = time.monotonic() + 60
        while not list(root.glob(".*/ready")) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert list(root.glob(".*/ready")), "the conversion did not start"
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert [p for p in root.iterdir() if not p.name.startswith(".")] == []  # nothing usable was left
    folder = conversion.converted(ModelConfig(model=str(tiny_bart)), None, "int8", root)
    assert (folder / conversion.MARKER).is_file() and (folder / "model.bin").stat().st_size > 100
    assert conversions(root) == [folder.name]  # the abandoned temporary folder is gone


def test_a_folder_without_its_marker_is_converted_again(tiny_bart, tmp_path):
    root = tmp_path / "ct2"
    folder = conversion.converted(ModelConfig(model=str(tiny_bart)), None, "int8", root)
    (folder / conversion.MARKER).unlink()
    (folder / "model.bin").write_bytes(b"torn")
    again = conversion.converted(ModelConfig(model=str(tiny_bart)), None, "int8", root)
    assert again == folder and (folder / conversion.MARKER).is_file()
    assert (folder / "model.bin").stat().st_size > 100


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"generation": {"early_stopping": False}}, r"summarizer.generation.early_stopping: False - CTranslate2 ends"),
        ({"generation": {"do_sample": True, "num_beams": 2}}, r"num_beams: CTranslate2 samples with num_beams: 1 only"),
        ({"compute_type": "int8_float16"}, r"compute_type: 'int8_float16' is not supported by CTranslate2 on this cpu"),
    ],
)
def test_a_setting_ctranslate2_cannot_honour_is_a_config_error(settings, message, tiny_bart, runtime_cpu, tmp_path):
    with pytest.raises(ConfigError, match=message):
        make(tiny_bart, runtime_cpu, tmp_path, **settings)
    assert conversions(tmp_path / "ct2") == []  # refused before anything was converted


def test_an_architecture_ctranslate2_does_not_convert_is_a_config_error(tiny_bart, runtime_cpu, tmp_path, monkeypatch):
    monkeypatch.setattr(ctranslate, "SUPPORTED_TYPES", ("t5",))
    with pytest.raises(
        ConfigError, match=r"backend: ctranslate2 cannot be honoured: CTranslate2 does not convert 'bart'"
    ):
        make(tiny_bart, runtime_cpu, tmp_path)


def test_generation_settings_map_to_ctranslate2_names():
    from transformers import GenerationConfig

    settings = GenerationConfig(
        num_beams=4, max_new_tokens=32, min_new_tokens=32, length_penalty=2.0, no_repeat_ngram_size=3,
        repetition_penalty=1.2, forced_eos_token_id=2,
    )  # fmt: skip
    assert ctranslate.translate_options(settings) == {
        "beam_size": 4,
        "max_decoding_length": 31,  # transformers spends the 32nd step on the forced end token
        "min_decoding_length": 31,
        "length_penalty": 2.0,
        "no_repeat_ngram_size": 3,
        "repetition_penalty": 1.2,
        "max_input_length": 0,
    }
    sampled = ctranslate.translate_options(
        GenerationConfig(do_sample=True, top_k=0, top_p=0.9, temperature=0.7, max_length=20)
    )
    assert sampled["max_decoding_length"] == 19  # max_length counts the decoder start token
    assert (sampled["sampling_topk"], sampled["sampling_topp"], sampled["sampling_temperature"]) == (0, 0.9, 0.7)


def test_nlp_summarize_and_infer_run_on_ctranslate2(tiny_bart, tmp_path):
    common = [
        f"summarizer.model={tiny_bart}",
        "summarizer.backend=ctranslate2",
        f"summarizer.convert_dir={tmp_path / 'ct2'}",
        "topic.enabled=false",
        "stance.enabled=false",
        "runtime.device=cpu",
    ]
    env = os.environ | {"PYTHONPATH": str(REPO)}
    result = subprocess.run([*NLP, "summarize", "--json", "--text", CORPUS[0], *common], capture_output=True, env=env)
    assert result.returncode == 0, result.stderr.decode()
    summary = json.loads(result.stdout)["summary"]
    assert (summary["backend"], summary["compute_type"], summary["method"]) == ("ctranslate2", "int8", "abstractive")
    source, output = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    texts = [CORPUS[1], long_text(30), CORPUS[2]]
    source.write_text("".join(json.dumps({"id": f"r{i}", "text": t}) + "\n" for i, t in enumerate(texts)))
    args = ["infer", "--input", str(source), "--output", str(output), "infer.progress=false", *common]
    result = subprocess.run([*NLP, *args], capture_output=True, env=env)
    assert result.returncode == 0, result.stderr.decode()
    records = [json.loads(line) for line in output.read_text().splitlines()]
    assert [r["id"] for r in records] == ["r0", "r1", "r2"]
    assert all(r["summary"]["backend"] == "ctranslate2" for r in records)
    assert [r["summary"]["chunks"] > 1 for r in records] == [False, True, False]
    assert len(conversions(tmp_path / "ct2")) == 1  # converted by the first command, reused by the second


@pytest.fixture(scope="module")
def cuda_runtime():
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA device")
    return resolve_runtime(RuntimeConfig(device="cuda", dtype="auto"))


@pytest.mark.gpu
@pytest.mark.parametrize(
    ("requested", "expected"), [("auto", "float16"), ("bfloat16", "bfloat16"), ("int8_float16", "int8_float16")]
)
def test_ctranslate2_on_cuda_summarizes_at_the_compute_type(requested, expected, tiny_bart, cuda_runtime, tmp_path):
    summarizer = make(tiny_bart, cuda_runtime, tmp_path, compute_type=requested)
    records = summarizer.summarize([CORPUS[0], long_text(30)])
    assert [(r["backend"], r["compute_type"]) for r in records] == [("ctranslate2", expected)] * 2
    assert records[1]["chunks"] > 1 and all(isinstance(r["text"], str) for r in records)
    assert summarizer.engine.translator.device == "cuda"


@pytest.mark.gpu
def test_nlp_infer_on_cuda_through_ctranslate2(tiny_t5, cuda_runtime, tmp_path):
    source, output = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text(
        "".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in enumerate([CORPUS[0], long_text(30)]))
    )
    args = [
        "infer", "--input", str(source), "--output", str(output), "infer.progress=false", "runtime.device=cuda",
        f"summarizer.model={tiny_t5}", "summarizer.backend=ctranslate2", f"summarizer.convert_dir={tmp_path / 'ct2'}",
        "topic.enabled=false", "stance.enabled=false",
    ]  # fmt: skip
    result = subprocess.run([*NLP, *args], capture_output=True, env=os.environ | {"PYTHONPATH": str(REPO)})
    assert result.returncode == 0, result.stderr.decode()
    records = [json.loads(line) for line in output.read_text().splitlines()]
    assert [(r["summary"]["backend"], r["summary"]["compute_type"]) for r in records] == [
        ("ctranslate2", "float16")
    ] * 2


@pytest.mark.parametrize(
    ("backend", "batch_size", "rows"), [("ctranslate2", None, 4), ("transformers", None, 8), ("ctranslate2", 6, 6)]
)
def test_batches_hold_the_backends_own_number_of_texts_unless_batch_size_is_set(
    backend, batch_size, rows, tiny_bart, runtime_cpu, tmp_path
):
    settings = {"backend": backend, "batch_size": batch_size, "generation": {"max_new_tokens": 3}}
    if backend == "transformers":
        settings["compute_type"] = "auto"
    summarizer = make(tiny_bart, runtime_cpu, tmp_path, **settings)
    sizes = []
    generate = summarizer.engine.generate
    summarizer.engine.generate = lambda batch, cap: sizes.append(len(batch)) or generate(batch, cap)
    summarizer.summarize(CORPUS[:4] * 3)  # 12 short texts: the token budget does not cut them
    assert max(sizes) == rows and sum(sizes) == 12
