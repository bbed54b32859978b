"""int8 encoders against float32 on trained weights: the embedded MiniLM under the offline default.

The offline default's topic and stance come from heads over the real all-MiniLM-L6-v2 (and its
adapter), so quantizing its Linear layers (`nlp.models.quantize.quantize_encoder`, the function
`topic.int8` / `stance.int8` use for NLI and classifier models) shows int8's effect on a trained
BERT-family encoder with real labels. Arms, interleaved, on the same data/news records: the
offline default as shipped (float32) and with every MiniLM copy quantized. Agreement: primary
topic identical (goal >= 99%), stance score difference (goal <= 0.02), stance label identical.

    python benchmarks/int8_agreement.py [--records 300] [--repetitions 3]
"""

from __future__ import annotations

import argparse
import gc
import logging
import sys
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
    for run in arms.values():
        run()
    print(
        f"{len(texts)} data/news records, offline default topic + stance (summary off), cpu, "
        f"{len(encoders)} MiniLM encoders, torch threads {torch.get_num_threads()}",
        flush=True,
    )
    results = interleaved(arms, args.repetitions)
    ref, out = results["float32"]["last"], results["int8"]["last"]
    primary = np.mean([a["topic"]["label"] == b["topic"]["label"] for a, b in zip(ref, out)])
    scored = [(a["stance"], b["stance"]) for a, b in zip(ref, out) if a["stance"]["score"] is not None]
    diffs = np.array([abs(a["score"] - b["score"]) for a, b in scored])
    labels = np.mean([a["label"] == b["label"] for a, b in scored])
    topic_diff = max(
        abs(a["topic"]["scores"][k] - b["topic"]["scores"][k]) for a, b in zip(ref, out) for k in a["topic"]["scores"]
    )
    agreement = {
        "int8": (
            f"primary topic {primary:.1%} identical, topic score max diff {topic_diff:.3f}; stance max diff "
            f"{diffs.max():.4f}, mean {diffs.mean():.4f}, label {labels:.1%} identical ({len(scored)} scored)"
        )
    }
    print()
    print(table(results, "float32", len(texts), "records", {"agreement with float32": agreement}))


if __name__ == "__main__":
    main()
