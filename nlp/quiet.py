"""What transformers and huggingface_hub print: kept off stderr unless the caller asks for it.

Their progress bars ("Loading weights"), retry warnings and notes are noise to a user of this
toolkit, whose own messages say what went wrong. They stay quiet unless the caller's logging says
otherwise: the `nlp` logger at INFO or below (`nlp -v`, or a Python caller's
`logging.basicConfig(level=logging.INFO)`), TRANSFORMERS_VERBOSITY set, or transformers' verbosity
raised by the caller (`transformers.logging.set_verbosity_info()`).
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

LIBRARIES = ("transformers", "huggingface_hub", "tokenizers", "accelerate", "datasets")


def wants_library_output() -> bool:
    """Whether the caller asked to see what the libraries log."""
    if os.environ.get("TRANSFORMERS_VERBOSITY"):
        return True
    return logging.getLogger("nlp").getEffectiveLevel() <= logging.INFO


def quiet_libraries() -> None:
    """For the rest of the process (the CLI calls this): transformers and huggingface_hub log errors
    only and draw no progress bars, and the libraries' Python warnings are not shown; nothing
    changes when `wants_library_output()`."""
    if wants_library_output():
        return
    from huggingface_hub.utils import logging as hub_logging
    from transformers.utils import logging as transformers_logging

    transformers_logging.set_verbosity_error()
    transformers_logging.disable_progress_bar()  # huggingface_hub's bars too
    hub_logging.set_verbosity_error()
    for library in LIBRARIES:
        warnings.filterwarnings("ignore", module=rf"{library}(\.|$)")


@contextmanager
def quiet_loading() -> Iterator[None]:
    """Around `from_pretrained` in library code: no "Loading weights" bar, transformers and
    huggingface_hub at error level; the caller's settings come back afterwards. Left alone when
    the caller wants library output or has made transformers more verbose than its default."""
    from huggingface_hub.utils import logging as hub_logging
    from transformers.utils import logging as transformers_logging

    if wants_library_output() or transformers_logging.get_verbosity() < logging.WARNING:
        yield
        return
    hub_logger = logging.getLogger("huggingface_hub")
    verbosity, hub_level = transformers_logging.get_verbosity(), hub_logger.level
    bars = transformers_logging.is_progress_bar_enabled()
    transformers_logging.set_verbosity_error()
    hub_logging.set_verbosity_error()
    transformers_logging.disable_progress_bar()
    try:
        with warnings.catch_warnings():
            for library in LIBRARIES:
                warnings.filterwarnings("ignore", module=rf"{library}(\.|$)")
            yield
    finally:
        transformers_logging.set_verbosity(verbosity)
        hub_logger.setLevel(hub_level)
        if bars:
            transformers_logging.enable_progress_bar()
