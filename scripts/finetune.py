"""`python scripts/finetune.py ...` is `nlp finetune ...`."""

import sys

from nlp.cli import main

if __name__ == "__main__":
    sys.exit(main(["finetune", *sys.argv[1:]]))
