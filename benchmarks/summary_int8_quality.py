"""int8 against float32 summaries on a model whose outputs mean something.

Random weights (summary_speed.py) give the true compute cost but meaningless text, so int8's
effect on the output is measured here on a small BART trained for a few minutes on
data/summaries (64 training pairs; the 16 others held out; trained once, kept in --workdir). Each
backend summarizes all 80 articles with the same settings (beam 4, up to 64 new tokens); the table
gives ROUGE-L of each arm against the transformers float32 output (agreement), the share of
identical summaries, and ROUGE-L against the reference summaries (held-out articles, and all).

    python benchmarks/summary_int8_quality.py [--steps 600] [--workdir /tmp/peninsula-bench]
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import re
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from shapes import BART_SPECIALS, ROOT, news_texts  # noqa: E402

SHAPE = dict(
    d_model=256, encoder_layers=3, decoder_layers=3, encoder_attention_heads=4, decoder_attention_heads=4,
    encoder_ffn_dim=1024, decoder_ffn_dim=1024, max_position_embeddings=512, dropout=0.1,
)  # fmt: skip


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--workdir", default="/tmp/peninsula-bench")
    return parser.parse_args()


def pairs() -> list[dict]:
    path = ROOT / "data" / "summaries" / "train.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def tokenizer_for(items: list[dict], size: int = 16000):
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    words = Counter(
        w for text in news_texts() + [i["summary"] for i in items] for w in re.findall(r"\w+|[^\w\s]+", text.lower())
    )
    vocab = BART_SPECIALS + [w for w, _ in words.most_common(size - len(BART_SPECIALS))]
    tok = Tokenizer(models.WordLevel({t: i for i, t in enumerate(vocab)}, unk_token="<unk>"))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.post_processor = processors.TemplateProcessing(single="<s> $A </s>", special_tokens=[("<s>", 0), ("</s>", 2)])
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<s>",
        eos_token="</s>",
        pad_token="<pad>",
        unk_token="<unk>",
        model_max_length=512,
    )


def train(folder: Path, items: list[dict], steps: int) -> Path:
    """A small BART trained from scratch on the training pairs (AdamW, batch 4); kept in `folder`."""
    if (folder / "config.json").is_file():
        return folder
    import torch
    from transformers import BartConfig, BartForConditionalGeneration

    torch.manual_seed(0)
    tokenizer = tokenizer_for(items)
    model = BartForConditionalGeneration(
        BartConfig(
            vocab_size=len(tokenizer),
            pad_token_id=1,
            bos_token_id=0,
            eos_token_id=2,
            decoder_start_token_id=2,
            forced_eos_token_id=2,
            **SHAPE,
        )  # fmt: skip
    )
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-4, weight_decay=0.01)
    rng = random.Random(0)
    model.train()
    started = time.monotonic()
    for step in range(steps):
        batch = rng.sample(items, 4)
        inputs = tokenizer(
            [b["text"] for b in batch], truncation=True, max_length=512, padding=True, return_tensors="pt"
        )
        labels = tokenizer(
            [b["summary"] for b in batch], truncation=True, max_length=128, padding=True, return_tensors="pt"
        )
        target = labels["input_ids"].masked_fill(labels["attention_mask"] == 0, -100)
        loss = model(**inputs, labels=target).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad()
        if step % 100 == 0 or step == steps - 1:
            print(f"  step {step}: loss {loss.item():.3f} ({time.monotonic() - started:.0f} s)", flush=True)
    model.eval()
    model.generation_config.num_beams = 4
    model.generation_config.no_repeat_ngram_size = 3
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def main() -> None:
    args = parse()
    logging.basicConfig(level=logging.WARNING)
    import transformers

    from nlp.metrics import rouge_scores
    from nlp.runtime import resolve_runtime
    from nlp.schema import RuntimeConfig, SummarizerConfig
    from nlp.tasks.summarize import build_summarizer

    transformers.logging.set_verbosity_error()
    items = pairs()
    random.Random(0).shuffle(items)
    held_out, training = items[:16], items[16:]
    work = Path(args.workdir)
    print(f"training a small BART on {len(training)} data/summaries pairs for {args.steps} steps (once)", flush=True)
    folder = train(work / f"summary-small-{args.steps}", training, args.steps)
    runtime = resolve_runtime(RuntimeConfig(device="cpu", dtype="float32"))
    generation = {"num_beams": 4, "max_new_tokens": args.new_tokens}
    arms = {
        "transformers float32": {"backend": "transformers"},
        "ctranslate2 float32": {"backend": "ctranslate2", "compute_type": "float32"},
        "ctranslate2 int8": {"backend": "ctranslate2", "compute_type": "int8"},
    }
    texts = [i["text"] for i in items]
    outputs = {}
    for name, settings in arms.items():
        config = SummarizerConfig(
            model=str(folder), generation=generation, convert_dir=str(work / "ctranslate2"), **settings
        )
        outputs[name] = [r["text"] for r in build_summarizer(config, runtime).summarize(texts)]
    reference = outputs["transformers float32"]
    print(
        f"\n{len(texts)} data/summaries articles ({len(held_out)} held out), beam 4, up to {args.new_tokens} new tokens\n"
    )
    print(
        "| arm | ROUGE-L vs transformers float32 | identical summaries | ROUGE-L vs references (held out) | ROUGE-L vs references (all) |"
    )
    print("|---|---|---|---|---|")
    for name, out in outputs.items():
        agreement = rouge_scores(out, reference)["rougeL"]
        same = sum(a == b for a, b in zip(out, reference))
        held = rouge_scores(out[: len(held_out)], [i["summary"] for i in held_out])["rougeL"]
        every = rouge_scores(out, [i["summary"] for i in items])["rougeL"]
        print(f"| {name} | {agreement:.3f} | {same}/{len(out)} | {held:.3f} | {every:.3f} |")
    print(f"\nexample (held out, {items[0]['id']}):\n  reference: {items[0]['summary'][:200]}")
    for name, out in outputs.items():
        print(f"  {name}: {out[0][:200]}")


if __name__ == "__main__":
    main()
