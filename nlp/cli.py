"""The `nlp` command: parse argv, run a command (nlp/commands.py), map errors to exit codes.

Only this module and nlp/commands.py print. Heavy imports (torch, transformers) happen inside the commands, so
`nlp --help` stays fast.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys

from nlp import __version__
from nlp.commands import (
    cmd_check,
    cmd_download,
    cmd_evaluate,
    cmd_finetune,
    cmd_infer,
    cmd_report,
    cmd_serve,
    cmd_summarize,
)
from nlp.errors import NlpError, shorten

EXIT_CODES = """exit codes:
  0  success
  1  internal error (a bug: rerun with --debug and report the traceback)
  2  config error: bad file, key, value or override; device/dtype not available
  3  input error: missing or unreadable input, input refused by the long-input policy
  4  model error: model not found, or refused by the loading policy
  5  failed run: infer's error records over infer.max_error_rate (or any, with --strict);
     finetune stopped by a NaN/infinite loss
  130 interrupted (Ctrl-C), 143 terminated (SIGTERM): what was written is kept, --resume completes it
"""


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config", metavar="FILE", help="YAML config, or a shipped name (default, hub); default: the offline default"
    )
    common.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    common.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    common.add_argument(
        "overrides", nargs="*", metavar="key=value", help="config overrides, e.g. summarizer.generation.num_beams=4"
    )

    parser = argparse.ArgumentParser(
        prog="nlp",
        description="Summaries, topic and stance toward North Korea for Korean-peninsula news.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action=PrintVersions)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, run, **settings) -> argparse.ArgumentParser:
        """A subcommand with the common options, the exit codes in its help, and `run` to call."""
        sub = commands.add_parser(
            name, parents=[common], epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter, **settings
        )
        sub.set_defaults(run=run)
        return sub

    summarize = command(
        "summarize",
        cmd_summarize,
        help="summarize one text, a file, or stdin",
        description="Summarize --text TEXT, --file PATH, or stdin (give - as an argument, or just pipe the text "
        "in); --json prints the full record (summary, topic, stance).",
        usage="nlp summarize [--config FILE] [--text TEXT | --file PATH | -] [--title TEXT] [--json] [key=value ...]",
    )
    source = summarize.add_mutually_exclusive_group()
    source.add_argument("--text", help="the text to summarize")
    source.add_argument("--file", metavar="PATH", help="a UTF-8 text file, or a web page (.html), to summarize")
    summarize.add_argument("--title", metavar="TEXT", help="the article's headline (default: found on its first line)")
    summarize.add_argument("--json", action="store_true", help="print the full output record as JSON")

    infer = command(
        "infer",
        cmd_infer,
        help="batch inference over a JSONL file",
    )
    infer.add_argument("--input", required=True, metavar="PATH", help="JSONL input (.gz works), or - for stdin")
    infer.add_argument("--output", required=True, metavar="PATH", help="JSONL output, or - for stdout")
    again = infer.add_mutually_exclusive_group()
    again.add_argument("--resume", action="store_true", help="complete an interrupted run into the same output")
    again.add_argument("--overwrite", action="store_true", help="replace an existing output")
    infer.add_argument("--strict", action="store_true", help="any error record fails the run (exit 5)")

    finetune = command(
        "finetune",
        cmd_finetune,
        help="train a topic, stance or summarization model",
    )
    again = finetune.add_mutually_exclusive_group()
    again.add_argument("--resume", action="store_true", help="continue from the last complete checkpoint in output_dir")
    again.add_argument("--overwrite", action="store_true", help="replace an existing output_dir")

    evaluate = command(
        "evaluate",
        cmd_evaluate,
        help="metrics and a report on labeled JSONL",
    )
    evaluate.add_argument("--input", required=True, metavar="PATH", help="labeled JSONL (.gz works)")
    evaluate.add_argument(
        "--output", metavar="DIR", help="report folder (default: <input name>.evaluation/ beside the input)"
    )

    check = command(
        "check",
        cmd_check,
        help="validate a config (inference or finetune) as a run would, and print it resolved",
    )
    check.add_argument(
        "--models", action="store_true", help="also find every model it names (local, cache, hub) without loading it"
    )

    download = command(
        "download",
        cmd_download,
        help="fetch every hub model a config names, for offline use",
    )
    download.add_argument(
        "--to", metavar="DIR", help="a folder in the Hugging Face cache's layout (default: the cache, HF_HUB_CACHE)"
    )

    report = command(
        "report",
        cmd_report,
        help="corpus report over infer results: topic share over time, stance by outlet and topic",
    )
    report.add_argument("--input", required=True, metavar="PATH", help="results JSONL of nlp infer (.gz works), or -")
    report.add_argument(
        "--output", metavar="DIR", help="report folder (default: <input name>.report/ beside the input)"
    )

    serve = command(
        "serve",
        cmd_serve,
        help="a local page (and JSON API) to analyse one article",
    )
    serve.add_argument("--port", type=int, metavar="N", help="port (default: serve.port, 7860)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    previous = catch_sigterm()
    try:
        return args.run(args)
    except NlpError as exc:
        if args.debug:
            raise
        print(f"nlp {args.command}: error: {shorten(with_flags(str(exc), args.command), 2000)}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt as stop:
        how, code = ("terminated (SIGTERM)", 143) if isinstance(stop, Terminated) else ("interrupted", 130)
        hint = f"; {INTERRUPTED[args.command]}" if args.command in INTERRUPTED else ""
        print(f"nlp {args.command}: {how}{hint}", file=sys.stderr)
        return code
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one line, exit 1
        if args.debug:
            raise
        what = shorten(f"{type(exc).__name__}: {exc}".replace("\n", " "), 2000)
        print(f"nlp {args.command}: internal error: {what} (rerun with --debug for the traceback)", file=sys.stderr)
        return 1
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


class Terminated(KeyboardInterrupt):
    """SIGTERM (systemd, Kubernetes, Slurm) ends a command as Ctrl-C does: the runners flush, write
    their summary and stop; the exit code is 143 (128 + 15)."""


INTERRUPTED = {
    "infer": "what was written is kept and the summary written; run again with --resume to complete it",
    "finetune": "run again with --resume to continue from the last complete checkpoint",
}


def catch_sigterm():
    """Make SIGTERM raise `Terminated` in the main thread; returns the handler it replaced (None off
    the main thread, where signals cannot be caught)."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        return None

    def terminate(signum, frame):
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a second SIGTERM ends the process at once
        raise Terminated

    return signal.signal(signal.SIGTERM, terminate)


# Library messages name a call's parameters in backquotes; on the command line they are these flags.
FLAGS = {
    "infer": {
        "input_path": "--input",
        "output": "--output",
        "resume": "--resume",
        "overwrite": "--overwrite",
        "strict": "--strict",
    },
    "evaluate": {"input_path": "--input", "output_dir": "--output"},
    "report": {"input_path": "--input", "output_dir": "--output"},
    "serve": {"port": "--port"},
    "finetune": {"resume": "--resume", "overwrite": "--overwrite"},
}


def with_flags(message: str, command: str) -> str:
    """`message` with each backquoted parameter name of `command` replaced by its flag."""
    for name, flag in FLAGS.get(command, {}).items():
        message = message.replace(f"`{name}`", flag)
    return message


class PrintVersions(argparse.Action):
    """`nlp --version`: the package, its libraries, the embedded model and heads, CUDA and MPS."""

    def __init__(self, option_strings, dest, **kwargs):
        what = "print the versions of the package, torch, transformers, the embedded model and heads, and CUDA/MPS"
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help=what)

    def __call__(self, parser, namespace, values, option_string=None):
        from nlp.versions import report

        print(f"nlp {__version__}\n{report()}")
        parser.exit()
