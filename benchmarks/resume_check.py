"""What the reliability checks of `nlp infer` cost, against the read a run does anyway (same process,
same file): the input fingerprint `--resume` checks before it starts, and the lock.

Baseline: `read_lines` over the whole input (parse, validate, digest every line), as every run does.
Measured: `check_input_unchanged` with every line done (hash only, no parsing) and one lock cycle.

    python benchmarks/resume_check.py [--records 100000]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from nlp.files import OutputLock
from nlp.infer.outputs import check_input_unchanged
from nlp.jsonl import open_input, read_lines

TEXT = "North Korea fired a ballistic missile into the sea on Tuesday, the military said. " * 6


def seconds(run) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "in.jsonl"
        with source.open("w") as handle:
            for i in range(args.records):
                handle.write(json.dumps({"id": f"r{i}", "text": f"{TEXT} Item {i}."}) + "\n")
        megabytes = source.stat().st_size / 1e6

        done: dict[int, str] = {}

        def read() -> None:
            with open_input(str(source)) as stream:
                done.update({line.line: line.digest for line in read_lines(stream)})

        read_s = seconds(read)
        check_s = seconds(lambda: check_input_unchanged(str(source), done, 1_000_000))
        lock = OutputLock(Path(folder) / "out.lock", "benchmark")
        lock_s = seconds(lambda: [lock.__enter__(), lock.__exit__()])
    print(f"{args.records} records, {megabytes:.1f} MB of JSONL\n")
    print("| step | seconds | MB/s |")
    print("|---|---|---|")
    print(f"| read_lines (every run: parse, validate, digest) | {read_s:.2f} | {megabytes / read_s:.0f} |")
    print(f"| resume check (hash every line done, compare) | {check_s:.2f} | {megabytes / check_s:.0f} |")
    print(f"| lock taken and released | {lock_s * 1000:.2f} ms | |")
    print(f"\nresume check / one read: x{check_s / read_s:.2f}")


if __name__ == "__main__":
    main()
