"""What each `nlp` command does once its arguments are parsed: load and check the config, run, print.

`nlp/cli.py` builds the parser and turns errors into exit codes; each `cmd_*` here returns an exit
code. Models and runners are imported inside the commands, so `nlp --help` stays fast.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

from nlp.errors import ConfigError, InputError


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
