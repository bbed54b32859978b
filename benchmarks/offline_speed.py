"""The offline default (all three tasks on MiniLM) against one plain sentence-transformers `encode`.

Same process, same `data/news` records. Arms, interleaved:

- `encode`: `SentenceTransformer(<embedded MiniLM folder>).encode(texts)` - one pass over the texts,
  each cut at MiniLM's 256-token window, as a user embedding the articles would write (the baseline;
  without sentence-transformers installed, the same with plain transformers and mean pooling);
- `nlp default`: `Analyzer(offline default).analyze(texts)` - extractive summary, topic and stance.

Every memo of sentence vectors is emptied before each repetition, so no arm reuses an earlier
one's work. Besides time, the table shows the tokens each arm's encoder reads (counted at the
model's forward), which says how much of the gap is work done twice.

    python benchmarks/offline_speed.py [--records 300] [--repetitions 3] [--dtype float32|bfloat16]
"""

from __future__ import annotations

import argparse
import gc
import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from arms import interleaved, table  # noqa: E402
from shapes import news_texts  # noqa: E402


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=300)
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--dtype", default="float32", help="runtime.dtype of the toolkit arm")
    return parser.parse_args()


class TokenCounter:
    """Counts the non-padding tokens every forward of the given torch modules reads."""

    def __init__(self, modules):
        self.count = 0
        for module in {id(m): m for m in modules}.values():
            module.register_forward_pre_hook(self._hook, with_kwargs=True)

    def _hook(self, module, args, kwargs):
        mask = kwargs.get("attention_mask")
        ids = kwargs.get("input_ids", args[0] if args else None)
        self.count += int(mask.sum()) if mask is not None else int(ids.numel())


def baseline(folder: str):
    """(encode function, torch module) of the plain sentence-transformers (or transformers) encode."""
    try:
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(folder, device="cpu")
        return (lambda texts: model.encode(texts, batch_size=32)), model[0].auto_model
    except ImportError:
        import torch
        from transformers import AutoModel, AutoTokenizer

        tokenizer, model = AutoTokenizer.from_pretrained(folder), AutoModel.from_pretrained(folder).eval()

        @torch.inference_mode()
        def encode(texts):
            out = []
            for first in range(0, len(texts), 32):
                batch = tokenizer(
                    texts[first : first + 32], padding=True, truncation=True, max_length=256, return_tensors="pt"
                )
                hidden = model(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).float()
                out.append(torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1))
            return torch.cat(out).numpy()

        return encode, model


def analyzer_tokenizer(analyzer):
    """The MiniLM tokenizer the toolkit's encoder uses (the baseline reads the same tokens)."""
    from nlp.models.embedded import shared_encoder

    return shared_encoder(analyzer.runtime).tokenizer


def clear_memos() -> None:
    """Empty every sentence-vector memo (each repetition starts cold, as a fresh process would)."""
    from nlp.models.encoder import Encoder

    for obj in gc.get_objects():
        if isinstance(obj, Encoder):
            for name, value in vars(obj).items():
                if ("memo" in name or "cache" in name) and hasattr(value, "clear"):
                    value.clear()


def main() -> None:
    args = parse()
    logging.basicConfig(level=logging.WARNING)
    import torch

    from nlp.config import load_config
    from nlp.models.encoder import Encoder
    from nlp.models.load import embedded_path
    from nlp.tasks.analyze import Analyzer

    texts = news_texts()[: args.records]
    analyzer = Analyzer(load_config(None, ["runtime.device=cpu", f"runtime.dtype={args.dtype}"]))
    encode, plain = baseline(str(embedded_path()))
    encoders = [obj.model for obj in gc.get_objects() if isinstance(obj, Encoder)]
    counters = {"encode": TokenCounter([plain]), "nlp default": TokenCounter(encoders)}

    def ours():
        clear_memos()
        return analyzer.analyze(texts)

    arms = {"encode": lambda: encode(texts), "nlp default": ours}
    for arm in arms.values():
        arm()
    for counter in counters.values():
        counter.count = 0
    print(
        f"{len(texts)} data/news records, offline default (summary + topic + stance) vs one encode, cpu, "
        f"toolkit dtype {args.dtype}, torch threads {torch.get_num_threads()}, {len(set(map(id, encoders)))} "
        "MiniLM copies in the toolkit",
        flush=True,
    )
    results = interleaved(arms, args.repetitions)
    read = {name: f"{counter.count // args.repetitions} tokens read" for name, counter in counters.items()}
    if counters["encode"].count == 0:  # sentence-transformers 6 runs its model without the module hooks
        windows = [min(len(ids), 256) for ids in analyzer_tokenizer(analyzer)(texts)["input_ids"]]
        read["encode"] = f"{sum(windows)} tokens read (counted by its tokenizer)"
    print()
    print(table(results, "encode", len(texts), "records", {"encoder work": read}))
    print("\n(x baseline below 1 means slower than the plain encode; the issue's target is >= 1/1.5 = 0.67)")


if __name__ == "__main__":
    main()
