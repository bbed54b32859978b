"""`python scripts/train_heads.py [--output DIR] [--seed N] ...` trains the embedded default's heads.

A thin wrapper around `nlp.train_heads.main`; the method and metrics are in nlp/heads/README.md.
"""

import sys

from nlp.finetune.heads import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
