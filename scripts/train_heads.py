"""`python scripts/train_heads.py [--output DIR] [--train FILE ...] [--heldout FILE] [--steps N] ...`

Trains the embedded default's heads from a source checkout: the same `nlp.finetune.heads.train_heads`
that `nlp finetune --config configs/finetune_heads.yaml` runs. Every option but the paths and the seed is
a `heads:` setting of the fine-tuning config (`nlp.finetune.config.HeadsConfig`), with its default from there.
Method and metrics: nlp/heads/README.md.
"""

from __future__ import annotations

import argparse
import json
import logging
import shlex
import sys
import time
from pathlib import Path

from nlp.finetune.config import HeadsConfig
from nlp.finetune.heads import train_heads

ROOT = Path(__file__).resolve().parent.parent


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Train the embedded default's topic/stance heads and LoRA adapter.")
    parser.add_argument("--output", type=Path, default=ROOT / "nlp" / "heads")
    parser.add_argument(
        "--train",
        nargs="+",
        default=[str(p.relative_to(ROOT)) for p in sorted((ROOT / "data/news/train").glob("*.jsonl"))],
    )
    parser.add_argument(
        "--heldout",
        nargs="+",
        default=["data/news/styleshift/a.jsonl", "data/news/styleshift/b.jsonl"],
        help="held-out files, scored only",
    )
    parser.add_argument("--seed", type=int, default=0)
    for name, field in HeadsConfig.model_fields.items():
        default = field.get_default(call_default_factory=True)
        many = isinstance(default, list)
        parser.add_argument(
            f"--{name.replace('_', '-')}",
            type=type(default[0]) if many else type(default),
            default=default,
            nargs="+" if many else None,
            help=f"heads.{name} (default {default})",
        )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    settings = HeadsConfig(**{name: getattr(args, name) for name in HeadsConfig.model_fields})
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", stream=sys.stderr)
    started = time.time()
    meta = train_heads(
        settings,
        args.train,
        args.heldout,
        args.output,
        args.seed,
        f"python scripts/train_heads.py {shlex.join(argv)}".strip(),
    )
    print(
        json.dumps(
            {"output": str(args.output), "metrics": meta["metrics"], "wall_seconds": round(time.time() - started, 1)},
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
