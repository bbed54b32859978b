"""The `nlp` command: parse argv, load the config, run a command, print, map errors to exit codes.

Only this module prints. Heavy imports (torch, transformers) happen inside the commands, so
`nlp --help` stays fast.
"""

from __future__ import annotations

import argparse
import json
import logging
import shlex
import sys
from pathlib import Path

from nlp import __version__
from nlp.errors import ConfigError, InputError, NlpError

EXIT_CODES = """exit codes:
  0  success
  1  internal error (a bug: rerun with --debug and report the traceback)
  2  config error: bad file, key, value or override; device/dtype not available
  3  input error: missing or unreadable input, input refused by the long-input policy
  4  model error: model not found, or refused by the loading policy
  5  failed run: infer's error records over infer.max_error_rate (or any, with --strict);
     finetune stopped by a NaN/infinite loss
  130 interrupted
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
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    summarize = commands.add_parser(
        "summarize",
        parents=[common],
        help="summarize one text, a file, or stdin",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    source = summarize.add_mutually_exclusive_group()
    source.add_argument("--text", help="the text to summarize")
    source.add_argument("--file", metavar="PATH", help="a UTF-8 text file to summarize")
    summarize.add_argument("--json", action="store_true", help="print the full output record as JSON")
    summarize.set_defaults(run=cmd_summarize)

    infer = commands.add_parser(
        "infer",
        parents=[common],
        help="batch inference over a JSONL file",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    infer.add_argument("--input", required=True, metavar="PATH", help="JSONL input (.gz works), or - for stdin")
    infer.add_argument("--output", required=True, metavar="PATH", help="JSONL output, or - for stdout")
    again = infer.add_mutually_exclusive_group()
    again.add_argument("--resume", action="store_true", help="complete an interrupted run into the same output")
    again.add_argument("--overwrite", action="store_true", help="replace an existing output")
    infer.add_argument("--strict", action="store_true", help="any error record fails the run (exit 5)")
    infer.set_defaults(run=cmd_infer)

    finetune = commands.add_parser(
        "finetune",
        parents=[common],
        help="train a topic, stance or summarization model",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    finetune.set_defaults(run=cmd_finetune)
    again = finetune.add_mutually_exclusive_group()
    again.add_argument("--resume", action="store_true", help="continue from the last complete checkpoint in output_dir")
    again.add_argument("--overwrite", action="store_true", help="replace an existing output_dir")

    evaluate = commands.add_parser(
        "evaluate",
        parents=[common],
        help="metrics and a report on labeled JSONL",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    evaluate.add_argument("--input", required=True, metavar="PATH", help="labeled JSONL (.gz works)")
    evaluate.add_argument(
        "--output", metavar="DIR", help="report folder (default: <input name>.evaluation/ beside the input)"
    )
    evaluate.set_defaults(run=cmd_evaluate)

    check = commands.add_parser(
        "check",
        parents=[common],
        help="validate a config and print it resolved",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.set_defaults(run=cmd_check)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        return args.run(args)
    except NlpError as exc:
        if args.debug:
            raise
        print(f"nlp {args.command}: error: {with_flags(str(exc), args.command)}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"nlp {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one line, exit 1
        if args.debug:
            raise
        print(
            f"nlp {args.command}: internal error: {type(exc).__name__}: {exc} (rerun with --debug for the traceback)",
            file=sys.stderr,
        )
        return 1


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
    "finetune": {"resume": "--resume", "overwrite": "--overwrite"},
}


def with_flags(message: str, command: str) -> str:
    """`message` with each backquoted parameter name of `command` replaced by its flag."""
    for name, flag in FLAGS.get(command, {}).items():
        message = message.replace(f"`{name}`", flag)
    return message


def split_overrides(args: argparse.Namespace) -> tuple[list[str], list[str]]:
    """Separate `key=value` overrides from other positional words (e.g. `-` for stdin)."""
    overrides = [item for item in args.overrides if "=" in item]
    others = [item for item in args.overrides if "=" not in item]
    return overrides, others


def only_overrides(args: argparse.Namespace) -> list[str]:
    """The `key=value` overrides; any other positional word is an error."""
    overrides, others = split_overrides(args)
    if others:
        raise ConfigError(f"unexpected argument(s) {others}; overrides are key=value")
    return overrides


def load(args: argparse.Namespace, overrides: list[str]):
    from nlp.config import load_config

    return load_config(args.config, overrides)


def quiet_libraries() -> None:
    import transformers

    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()


def cmd_check(args: argparse.Namespace) -> int:
    from nlp.config import dump

    overrides = only_overrides(args)
    print(dump(load(args, overrides)), end="")
    return 0


def cmd_infer(args: argparse.Namespace) -> int:
    overrides = only_overrides(args)
    config = load(args, overrides)
    quiet_libraries()
    from nlp.errors import RunFailed
    from nlp.infer.run import run_infer

    try:
        summary = run_infer(
            config, args.input, args.output, resume=args.resume, overwrite=args.overwrite, strict=args.strict
        )
    except RunFailed as failed:
        if failed.summary is not None:
            print(describe_infer(failed.summary), file=sys.stderr)
        raise
    print(describe_infer(summary), file=sys.stderr)
    return 0


def describe_infer(summary: dict) -> str:
    by_code = ", ".join(f"{code}: {n}" for code, n in summary["errors_by_code"].items())
    return (
        f"infer: {summary['records']} records, {summary['ok']} ok, {summary['errors']} errors"
        f"{f' ({by_code})' if by_code else ''}, {summary['skipped_as_done']} already done; "
        f"{summary['records_per_second']} records/s; output {summary['output']}, errors {summary['errors_file']}"
    )


def cmd_finetune(args: argparse.Namespace) -> int:
    overrides = only_overrides(args)
    if args.config is None:
        raise ConfigError("finetune needs --config FILE (e.g. configs/finetune_topic.yaml)")
    from nlp.finetune.config import load_finetune_config

    config = load_finetune_config(args.config, overrides)  # validated before any model or data loads
    quiet_libraries()
    from nlp.finetune.run import run_finetune

    flags = ["--resume"] * args.resume + ["--overwrite"] * args.overwrite
    command = shlex.join(["nlp", "finetune", "--config", args.config, *flags, *overrides])
    result = run_finetune(config, resume=args.resume, overwrite=args.overwrite, command=command)
    if result["rank"] == 0:
        metrics = ", ".join(
            f"{k} {v:.4g}"
            for k, v in result["metrics"].items()
            if isinstance(v, (int, float)) and not k.endswith(("runtime", "per_second", "epoch"))
        )
        print(
            f"finetune: {config.task} model written to {result['output_dir']}{f' ({metrics})' if metrics else ''}",
            file=sys.stderr,
        )
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    overrides = only_overrides(args)
    config = load(args, overrides)
    quiet_libraries()
    from nlp.evaluate.run import run_evaluate

    result = run_evaluate(config, args.input, args.output)
    print(
        f"evaluate: {result['records']} records; metrics {result['metrics_file']}, report {result['report_file']}",
        file=sys.stderr,
    )
    return 0


def cmd_summarize(args: argparse.Namespace) -> int:
    overrides, others = split_overrides(args)
    if others not in ([], ["-"]):
        raise ConfigError(f"unexpected argument(s) {[o for o in others if o != '-']}; overrides are key=value")
    config = load(args, overrides)  # validated before any model loads
    record_id, text = read_text(args, stdin="-" in others)
    if not args.json:
        if not config.summarizer.enabled:
            raise ConfigError(
                "summarize: summarizer.enabled is false; use --json for the topic and stance, or enable it"
            )
        # Only the summary text is printed, so topic and stance are not computed.
        config.topic.enabled = config.stance.enabled = False
    quiet_libraries()
    from nlp.tasks.analyze import Analyzer

    record = Analyzer(config).analyze([text], ids=[record_id])[0]
    if args.json:
        print(json.dumps(record, ensure_ascii=False, indent=2))
    else:
        print(record["summary"]["text"])
    return 0


def read_text(args: argparse.Namespace, stdin: bool) -> tuple[str, str]:
    """(id, text) from --text, --file or stdin; an empty text is an input error."""
    if args.text is not None:
        record_id, text = "text", args.text
    elif args.file is not None:
        path = Path(args.file)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise InputError(f"--file {path}: no such file") from None
        except UnicodeDecodeError as exc:
            raise InputError(f"--file {path}: not UTF-8 text (byte {exc.start}); convert it to UTF-8") from None
        except OSError as exc:
            raise InputError(f"--file {path}: cannot read ({exc.strerror})") from None
        record_id = str(path)
    elif stdin or not sys.stdin.isatty():
        record_id, text = "stdin", sys.stdin.read()
    else:
        raise InputError("nothing to summarize: give --text TEXT, --file PATH, or pipe text to stdin (-)")
    if not text.strip():
        raise InputError(f"{record_id}: the text is empty")
    return record_id, text
