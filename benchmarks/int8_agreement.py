"""int8 encoders against float32 on trained weights: the embedded MiniLM under the offline default.

The offline default's topic and stance come from heads over the real all-MiniLM-L6-v2 (and its
adapter), so quantizing its Linear layers (`nlp.models.quantize.quantize_encoder`, the function
`topic.int8` / `stance.int8` use for NLI and classifier models) shows int8's effect on a trained
BERT-family encoder with real labels. Arms, interleaved, on the same data/news records: the
offline default as shipped (float32), with every MiniLM copy quantized by torch, and with MiniLM
run by CTranslate2's encoder in int8 and in float32 (the other int8 engine, `.[fast]`). Agreement:
primary topic identical (goal >= 99%), stance score difference (goal <= 0.02), stance label identical.

    python benchmarks/int8_agreement.py [--records 300] [--repetitions 3]
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import logging
import sys
import tempfile
import types
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from arms import interleaved, table  # noqa: E402
from offline_speed import clear_memos  # noqa: E402
from shapes import news_texts  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=300)
    parser.add_argument("--repetitions", type=int, default=3)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    import torch

    from nlp.config import load_config
    from nlp.models.encoder import Encoder
    from nlp.models.quantize import quantize_encoder
    from nlp.tasks.analyze import Analyzer

    texts = news_texts()[: args.records]
    analyzer = Analyzer(load_config(None, ["runtime.device=cpu", "runtime.dtype=float32", "summarizer.enabled=false"]))
    encoders = list({id(e): e for e in gc.get_objects() if isinstance(e, Encoder)}.values())
    float32 = {id(e): e.model for e in encoders}
    int8 = {id(e): quantize_encoder(e.model) for e in encoders}

    def arm(models):
        def run():
            for encoder in encoders:
                encoder.model = models[id(encoder)]
            clear_memos()
            return analyzer.analyze(texts)

        return run

    arms = {"float32": arm(float32), "int8": arm(int8)}
    if importlib.util.find_spec("ctranslate2"):
        for kind in ("int8", "float32"):
            ct2 = {id(e): CTranslate2Body(e.model, kind) for e in encoders}
            arms[f"ctranslate2 {kind}"] = arm(ct2)
    for run in arms.values():
        run()
    print(
        f"{len(texts)} data/news records, offline default topic + stance (summary off), cpu, "
        f"{len(encoders)} MiniLM encoders, torch threads {torch.get_num_threads()}",
        flush=True,
    )
    results = interleaved(arms, args.repetitions)
    agreement = {name: agreement_with(results["float32"]["last"], results[name]["last"]) for name in arms}
    print()
    print(table(results, "float32", len(texts), "records", {"agreement with float32": agreement}))


def agreement_with(ref: list[dict], out: list[dict]) -> str:
    primary = np.mean([a["topic"]["label"] == b["topic"]["label"] for a, b in zip(ref, out)])
    scored = [(a["stance"], b["stance"]) for a, b in zip(ref, out) if a["stance"]["score"] is not None]
    diffs = np.array([abs(a["score"] - b["score"]) for a, b in scored])
    labels = np.mean([a["label"] == b["label"] for a, b in scored])
    topic_diff = max(
        abs(a["topic"]["scores"][k] - b["topic"]["scores"][k]) for a, b in zip(ref, out) for k in a["topic"]["scores"]
    )
    return (
        f"primary topic {primary:.1%} identical, topic score max diff {topic_diff:.3f}; stance max diff "
        f"{diffs.max():.4f}, mean {diffs.mean():.4f}, label {labels:.1%} identical ({len(scored)} scored)"
    )


class CTranslate2Body:
    """MiniLM (a BertModel) converted to CTranslate2 at `compute_type`, called like the torch model."""

    def __init__(self, model, compute_type: str):
        import ctranslate2
        import torch
        from transformers import AutoTokenizer

        from nlp.models.conversion import converted
        from nlp.schema import ModelConfig

        # from the model in memory: the heads' copy has the LoRA adapter merged into its weights
        source = Path(tempfile.mkdtemp(prefix="minilm-"))
        model.save_pretrained(source)
        AutoTokenizer.from_pretrained(model.name_or_path).save_pretrained(source)
        folder = converted(ModelConfig(model=str(source)), None, compute_type, source / "ctranslate2")
        self.encoder = ctranslate2.Encoder(
            str(folder), device="cpu", compute_type=compute_type, intra_threads=torch.get_num_threads()
        )
        self.config = model.config

    def __call__(self, input_ids, attention_mask, **_):
        import torch

        lengths = attention_mask.sum(1).int()
        rows = [ids[:n].tolist() for ids, n in zip(input_ids, lengths)]
        hidden = np.asarray(self.encoder.forward_batch(rows).last_hidden_state)
        return types.SimpleNamespace(last_hidden_state=torch.as_tensor(hidden))


if __name__ == "__main__":
    main()
