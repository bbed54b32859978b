"""Abstractive summaries: the toolkit's backends against the per-document `generate` loop a user writes.

Same process, same random-weight `sshleifer/distilbart-cnn-12-6`-shaped model (benchmarks/shapes.py),
same articles (data/news texts of 100-900 tokens), summaries pinned to exactly `--new-tokens` new
tokens (min_new_tokens = max_new_tokens) so every arm does the same work. Arms, interleaved:

- `loop`: `model.generate` one article at a time under `torch.inference_mode()` (the baseline);
- `nlp transformers`: `summarizer.backend: transformers` (token-budget batches, shared cross-attention cache);
- `nlp ctranslate2 float32` / `int8`: `summarizer.backend: ctranslate2` at that compute type;
- `ctranslate2 direct <type>`: the same converted model called straight through
  `Translator.translate_batch` on all articles at once (CTranslate2 sorts and batches them itself,
  `--direct-batch` rows): what CTranslate2 alone does on this machine, the toolkit's ceiling.

Correctness: the share of articles whose summary is identical to the loop's (float32 arms must be
100%; int8 on random weights is shown for completeness - `summary_int8_quality.py` measures int8
against float32 on a model trained on data/summaries). The conversion (once per model and compute
type, cached) is timed apart.

    python benchmarks/summary_speed.py [--beams 4] [--articles 8] [--repetitions 3] [--new-tokens 32]
        [--model distilbart|bart-large] [--device cpu] [--dtype float32] [--workdir /tmp/peninsula-bench]
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from arms import interleaved, table  # noqa: E402
from shapes import BART_LARGE_CNN, DISTILBART_CNN_12_6, articles, bart_like  # noqa: E402

SHAPES = {"distilbart": DISTILBART_CNN_12_6, "bart-large": BART_LARGE_CNN}


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--beams", type=int, default=4)
    parser.add_argument("--articles", type=int, default=8)
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--new-tokens", type=int, default=32)
    parser.add_argument("--model", choices=sorted(SHAPES), default="distilbart")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dtype", default="float32", help="runtime.dtype of the loop and the transformers arm")
    parser.add_argument("--compute-types", default=None, help="CTranslate2 arms, comma-separated (default per device)")
    parser.add_argument("--workdir", default="/tmp/peninsula-bench")
    parser.add_argument("--direct-batch", type=int, default=4, help="max_batch_size of the direct CTranslate2 arm")
    return parser.parse_args()


def loop_arm(tokenizer, model, texts: list[str], generation: dict, device):
    import torch

    def run() -> list[str]:
        out = []
        with torch.inference_mode():
            for text in texts:
                inputs = tokenizer(text, return_tensors="pt", truncation=True, max_length=1024).to(device)
                ids = model.generate(**inputs, **generation)[0]
                out.append(tokenizer.decode(ids, skip_special_tokens=True).strip())
        return out

    return run


def direct_arm(summarizer, texts: list[str], args: argparse.Namespace):
    """`translate_batch` on the summarizer's own Translator and generation options, all articles in one call."""
    from nlp.models.ctranslate import translate_options
    from nlp.models.generate import capped

    translator, tokenizer = summarizer.engine.translator, summarizer.tokenizer
    source = [
        tokenizer.convert_ids_to_tokens(tokenizer(t, truncation=True, max_length=1024)["input_ids"]) for t in texts
    ]
    options = translate_options(capped(summarizer.engine.settings, None))  # the engine's own settings

    def run() -> list[str]:
        prefix = [summarizer.engine.target_prefix] * len(source) if summarizer.engine.target_prefix else None
        results = translator.translate_batch(source, target_prefix=prefix, max_batch_size=args.direct_batch, **options)
        ids = [tokenizer.convert_tokens_to_ids(r.hypotheses[0]) for r in results]
        return [text.strip() for text in tokenizer.batch_decode(ids, skip_special_tokens=True)]

    return run


def main() -> None:
    args = parse()
    logging.basicConfig(level=logging.WARNING)
    import torch
    import transformers

    from nlp.runtime import resolve_runtime
    from nlp.schema import RuntimeConfig, SummarizerConfig
    from nlp.tasks.summarize import build_summarizer

    transformers.logging.set_verbosity_error()
    work = Path(args.workdir)
    folder = bart_like(work / args.model, SHAPES[args.model])
    runtime = resolve_runtime(RuntimeConfig(device=args.device, dtype=args.dtype))
    pinned = {"num_beams": args.beams, "min_new_tokens": args.new_tokens, "max_new_tokens": args.new_tokens}
    ours = build_summarizer(SummarizerConfig(model=str(folder), backend="transformers", generation=pinned), runtime)
    tokenizer, model = ours.tokenizer, ours.model
    texts = articles(tokenizer, args.articles)
    tokens = sum(len(ids) for ids in tokenizer(texts)["input_ids"])
    arms = {
        "loop": loop_arm(tokenizer, model, texts, pinned | {"max_length": None, "min_length": None}, runtime.device)
    }
    arms["nlp transformers"] = lambda: [r["text"] for r in ours.summarize(texts)]
    default_types = "int8,float32" if runtime.device.type == "cpu" else "float16,bfloat16,int8_float16"
    conversions = {}
    for kind in (args.compute_types or default_types).split(","):
        started = time.perf_counter()
        summarizer = build_summarizer(
            SummarizerConfig(
                model=str(folder),
                backend="ctranslate2",
                compute_type=kind,
                convert_dir=str(work / "ctranslate2"),
                generation=pinned,
            ),
            runtime,
        )
        conversions[kind] = time.perf_counter() - started
        arms[f"nlp ctranslate2 {kind}"] = lambda s=summarizer: [r["text"] for r in s.summarize(texts)]
        if kind == "int8":
            arms["ctranslate2 direct int8"] = direct_arm(summarizer, texts, args)
    print(
        f"{args.model}-shaped model (random weights), {len(texts)} articles, {tokens} input tokens, "
        f"beams {args.beams}, {args.new_tokens} new tokens each, {runtime.device} {args.dtype}, "
        f"torch threads {torch.get_num_threads()}; CTranslate2 conversion/loading (once, cached): "
        + ", ".join(f"{k} {v:.1f}s" for k, v in conversions.items()),
        flush=True,
    )
    for arm in arms.values():  # warm-up: first-call costs paid outside the timings
        arm()
    results = interleaved(arms, args.repetitions)
    reference = results["loop"]["last"]
    identical = {
        name: f"{sum(a == b for a, b in zip(result['last'], reference))}/{len(reference)} identical to loop"
        for name, result in results.items()
        if name != "loop"
    }
    print()
    print(table(results, "loop", len(texts), "articles", {"correctness": identical}))


if __name__ == "__main__":
    main()
