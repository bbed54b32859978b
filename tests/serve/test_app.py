"""Starting the server: 127.0.0.1 unless configured, a busy port refused before any model loads."""

from __future__ import annotations

import socket
import subprocess

import pytest

from helpers import NLP
from nlp.config import load_config
from nlp.errors import ConfigError
from nlp.serve import app as serve_app


def test_the_default_binds_to_this_machine_only():
    config = load_config()
    assert (config.serve.host, config.serve.port) == ("127.0.0.1", 7860)


def test_run_serve_binds_the_configured_host_and_port(monkeypatch):
    import uvicorn

    seen = {}
    monkeypatch.setattr(serve_app, "build_app", lambda config: "app")
    monkeypatch.setattr(uvicorn, "run", lambda app, host, port, log_level: seen.update(app=app, host=host, port=port))
    urls = []
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    serve_app.run_serve(load_config(overrides=[f"serve.port={port}"]), on_ready=urls.append)
    assert seen == {"app": "app", "host": "127.0.0.1", "port": port} and urls == [f"http://127.0.0.1:{port}/"]


def test_a_busy_port_is_a_config_error_before_models_load(monkeypatch):
    monkeypatch.setattr(serve_app, "build_app", lambda config: pytest.fail("models loaded"))
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(ConfigError, match=f"cannot listen on 127.0.0.1:{port}"):
            serve_app.run_serve(load_config(overrides=[f"serve.port={port}"]))


def test_cli_serve_port_flag_is_checked_and_a_busy_port_exits_2():
    bad = subprocess.run([*NLP, "serve", "--port", "70000"], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "serve.port" in bad.stderr
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run([*NLP, "serve", "--port", str(port)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and f"127.0.0.1:{port}" in done.stderr and "--port" in done.stderr


def test_missing_serve_packages_are_a_config_error_with_the_install_line(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None if name == "gradio" else real(name))
    with pytest.raises(ConfigError, match=r'needs gradio, which is not installed; .*pip install ".*\[serve\]"'):
        serve_app.run_serve(load_config())
