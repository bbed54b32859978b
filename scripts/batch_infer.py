"""`python scripts/batch_infer.py ...` is `nlp infer ...`."""

import sys

from nlp.cli import main

if __name__ == "__main__":
    sys.exit(main(["infer", *sys.argv[1:]]))
