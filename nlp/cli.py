"""The `nlp` command: parse argv, load the config, run a command, print, map errors to exit codes.

Only this module prints. Heavy imports (torch, transformers) happen inside the commands, so
`nlp --help` stays fast.
"""

from __future__ import annotations

import argparse
import json
import logging
import shlex
import signal
import sys
from pathlib import Path

from nlp import __version__
from nlp.errors import ConfigError, InputError, NlpError, shorten

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

    summarize = commands.add_parser(
        "summarize",
        parents=[common],
        help="summarize one text, a file, or stdin",
        description="Summarize --text TEXT, --file PATH, or stdin (give - as an argument, or just pipe the text "
        "in); --json prints the full record (summary, topic, stance).",
        usage="nlp summarize [--config FILE] [--text TEXT | --file PATH | -] [--title TEXT] [--json] [key=value ...]",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    source = summarize.add_mutually_exclusive_group()
    source.add_argument("--text", help="the text to summarize")
    source.add_argument("--file", metavar="PATH", help="a UTF-8 text file, or a web page (.html), to summarize")
    summarize.add_argument("--title", metavar="TEXT", help="the article's headline (default: found on its first line)")
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
        help="validate a config (inference or finetune) as a run would, and print it resolved",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument(
        "--models", action="store_true", help="also find every model it names (local, cache, hub) without loading it"
    )
    check.set_defaults(run=cmd_check)

    download = commands.add_parser(
        "download",
        parents=[common],
        help="fetch every hub model a config names, for offline use",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    download.add_argument(
        "--to", metavar="DIR", help="a folder in the Hugging Face cache's layout (default: the cache, HF_HUB_CACHE)"
    )
    download.set_defaults(run=cmd_download)

    report = commands.add_parser(
        "report",
        parents=[common],
        help="corpus report over infer results: topic share over time, stance by outlet and topic",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    report.add_argument("--input", required=True, metavar="PATH", help="results JSONL of nlp infer (.gz works), or -")
    report.add_argument(
        "--output", metavar="DIR", help="report folder (default: <input name>.report/ beside the input)"
    )
    report.set_defaults(run=cmd_report)

    serve = commands.add_parser(
        "serve",
        parents=[common],
        help="a local page (and JSON API) to analyse one article",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve.add_argument("--port", type=int, metavar="N", help="port (default: serve.port, 7860)")
    serve.set_defaults(run=cmd_serve)
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
    """Library warnings and bars off stderr unless -v (`nlp.quiet`)."""
    from nlp.quiet import quiet_libraries as quiet

    quiet()


class PrintVersions(argparse.Action):
    """`nlp --version`: the package, its libraries, the embedded model and heads, CUDA and MPS."""

    def __init__(self, option_strings, dest, **kwargs):
        what = "print the versions of the package, torch, transformers, the embedded model and heads, and CUDA/MPS"
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help=what)

    def __call__(self, parser, namespace, values, option_string=None):
        from nlp.versions import report

        print(f"nlp {__version__}\n{report()}")
        parser.exit()


def load_any(args: argparse.Namespace, overrides: list[str]):
    """(config, is_finetune): a config with `task:` is a fine-tuning config, checked as finetune would."""
    from nlp.config import read_yaml, resolve_config_path

    if args.config is not None and "task" in read_yaml(resolve_config_path(args.config)):
        from nlp.finetune.config import load_finetune_config

        return load_finetune_config(args.config, overrides), True
    return load(args, overrides), False


def cmd_check(args: argparse.Namespace) -> int:
    from nlp.config import dump
    from nlp.preflight import check_finetune, check_inference, check_models

    config, finetune = load_any(args, only_overrides(args))
    used = check_finetune(config) if finetune else check_inference(config)
    found = check_models(config) if args.models else []
    print(dump(config), end="")
    for line in found:
        print(f"check: {line}", file=sys.stderr)
    print(f"check: {args.config or 'default'}: OK; {used}", file=sys.stderr)
    return 0


def cmd_download(args: argparse.Namespace) -> int:
    from huggingface_hub import constants

    from nlp.models.download import download_models, model_references

    config, _ = load_any(args, only_overrides(args))
    refs = model_references(config)
    done = download_models(refs, args.to)
    for ref, folder in done:
        print(f"download: {', '.join(ref.keys)} {ref.model!r}{f' @ {ref.revision}' if ref.revision else ''}: {folder}")
    if not done:
        print("download: nothing to fetch: every model is embedded or a local folder", file=sys.stderr)
        return 0
    cache = args.to or constants.HF_HUB_CACHE
    print(
        f"download: {len(done)} model(s) in {cache}; offline, copy that folder and run with "
        f"HF_HUB_CACHE={cache} HF_HUB_OFFLINE=1 (same config)",
        file=sys.stderr,
    )
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


def cmd_report(args: argparse.Namespace) -> int:
    config = load(args, only_overrides(args))
    from nlp.report.run import run_report

    result = run_report(config, args.input, args.output)
    problems = sum(problem["count"] for problem in result["quality"].values())
    print(
        f"report: {result['records']} records, {result['outlets']} outlets, {result['periods']} {result['period']}s, "
        f"{problems} data-quality notes; page {Path(result['output_dir']) / 'report.html'}",
        file=sys.stderr,
    )
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    overrides = only_overrides(args)
    if args.port is not None:
        overrides.append(f"serve.port={args.port}")
    config = load(args, overrides)  # validated before any model loads
    quiet_libraries()
    from nlp.serve.app import run_serve

    def ready(url: str) -> None:
        print(f"serve: {url} (API: POST {url}api/analyze); Ctrl-C stops", file=sys.stderr, flush=True)

    run_serve(config, on_ready=ready)
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

    text_format = input_format(args, text)
    if text_format == "html":
        from nlp.html import require_html

        require_html()  # before any model loads
    record = Analyzer(config).analyze([text], ids=[record_id], titles=[args.title], format=text_format)[0]
    if args.json:
        from nlp.models.provenance import run_facts

        record["run"] = run_facts(config)  # run id, versions, config hash (README, "Output record")
        print(json.dumps(record, ensure_ascii=False, indent=2))
    else:
        print(record["summary"]["text"])
    return 0


def input_format(args: argparse.Namespace, text: str) -> str:
    """`html` for a .html/.htm file or a text that starts like an HTML document, else `text`."""
    from nlp.html import HTML_SUFFIXES, looks_like_html

    by_name = args.file is not None and Path(args.file).suffix.lower() in HTML_SUFFIXES
    return "html" if by_name or looks_like_html(text) else "text"


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
