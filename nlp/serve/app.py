"""`nlp serve`: a local page (Gradio, mounted on FastAPI) to read one article, and a JSON API.

    GET  /              the page: paste an article or drop a .txt/.html file; summary, topic bars,
                        the stance scale, and the text with its evidence sentences highlighted
    POST /api/analyze   {"text": str, "id"?: str | int, "title"?: str} -> the output record, the same
                        object `nlp summarize --json` prints (id "text" unless given)
    GET  /api/health    {"ok": true, "max_chars": int}

The models are loaded once, before the server binds, and shared by the page and the API behind a
lock (one analysis at a time). Every text, pasted, uploaded or posted, goes through the same size
limit, `serve.max_chars`. The server binds to `serve.host` (127.0.0.1 unless configured).
"""

from __future__ import annotations

import logging
import socket
from typing import Any

from nlp.errors import ConfigError
from nlp.schema import Config
from nlp.serve.render import CSS

log = logging.getLogger(__name__)


def build_app(config: Config, analyzer: Any = None):
    """The FastAPI app: the JSON API and, mounted at /, the page. `analyzer` defaults to one built
    from `config` (tests pass their own)."""
    import gradio as gr

    from nlp.serve.api import build_api
    from nlp.serve.page import build_page
    from nlp.serve.service import Service

    service = Service(config, analyzer)
    app = build_api(service)
    theme = gr.themes.Default(primary_hue="blue")
    return gr.mount_gradio_app(
        app,
        build_page(service),
        path="/",
        css=CSS,
        theme=theme,
        max_file_size=8 * service.max_chars,
        footer_links=["api"],
    )


def check_port(host: str, port: int) -> None:
    """ConfigError when `host:port` cannot be bound (in use, or not an address of this machine)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ConfigError(
                f"serve: cannot listen on {host}:{port} ({exc.strerror}); pick a free port (`port`) or another serve.host"
            ) from None


def run_serve(config: Config, on_ready: Any = None) -> None:
    """Load the models, then serve until interrupted. `on_ready(url)` is called once the app is built."""
    from nlp.extras import require_extra

    require_extra("nlp serve", "serve", {"gradio": "gradio", "uvicorn": "uvicorn", "fastapi": "fastapi"})
    host, port = config.serve.host, config.serve.port
    check_port(host, port)  # before the models load: a busy port fails in milliseconds
    import uvicorn

    app = build_app(config)
    url = f"http://{'[' + host + ']' if ':' in host else host}:{port}/"
    if on_ready is not None:
        on_ready(url)
    uvicorn.run(app, host=host, port=port, log_level="warning")
