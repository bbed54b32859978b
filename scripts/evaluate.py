"""`python scripts/evaluate.py ...` is `nlp evaluate ...`."""

import sys

from nlp.cli import main

if __name__ == "__main__":
    sys.exit(main(["evaluate", *sys.argv[1:]]))
