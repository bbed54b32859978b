"""Errors a user can cause, each with its documented exit code (see README, "Exit codes")."""

from __future__ import annotations


class NlpError(Exception):
    """Base for user-facing errors: the CLI prints the message on one line, no traceback."""

    exit_code = 1


class ConfigError(NlpError):
    """Bad config file, key, value or override; also a device/dtype the machine cannot honour."""

    exit_code = 2


class InputError(NlpError):
    """Missing input file, unreadable or invalid input data, input refused by the length policy."""

    exit_code = 3


class ModelError(NlpError):
    """A model that cannot be found or is refused by the loading policy."""

    exit_code = 4


class RunFailed(NlpError):
    """A run that could not finish its job: infer over its error budget, finetune with a NaN loss."""

    exit_code = 5
