"""`python scripts/summarize.py ...` is `nlp summarize ...`."""

import sys

from nlp.cli import main

if __name__ == "__main__":
    sys.exit(main(["summarize", *sys.argv[1:]]))
