"""`python -m nlp` is the `nlp` command."""

import sys

from nlp.cli import main

if __name__ == "__main__":
    sys.exit(main())
