"""The JSON API: POST /api/analyze returns the record `nlp summarize --json` prints; GET /api/health."""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from nlp.errors import InputError
from nlp.serve.service import Service


def build_api(service: Service) -> FastAPI:
    """A FastAPI app with the API routes; the page is mounted on it afterwards."""
    app = FastAPI(title="peninsula-nlp", docs_url=None, redoc_url=None, openapi_url=None)
    body_limit = 8 * service.max_chars + 4096  # UTF-8 and JSON escapes: never more than this per character

    @app.get("/api/health")
    def health() -> dict:
        return {"ok": True, "max_chars": service.max_chars}

    @app.post("/api/analyze")
    async def api_analyze(request: Request) -> JSONResponse:
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > body_limit:
                return JSONResponse({"error": f"body over {body_limit:,} bytes (serve.max_chars)"}, status_code=413)
        try:
            payload = json.loads(body)
        except ValueError:
            return JSONResponse({"error": 'send JSON: {"text": "..."}'}, status_code=400)
        problem = payload_problem(payload)
        if problem:
            return JSONResponse({"error": problem}, status_code=422)
        try:
            record = await run_in_threadpool(
                service.analyze, payload["text"], payload.get("id", "text"), payload.get("title")
            )
        except InputError as exc:
            too_long = len(payload["text"]) > service.max_chars
            return JSONResponse({"error": str(exc)}, status_code=413 if too_long else 400)
        return JSONResponse(record)

    return app


def payload_problem(payload: Any) -> str | None:
    if not isinstance(payload, dict) or not isinstance(payload.get("text"), str):
        return 'the body needs a "text" string: {"text": "...", "id": optional, "title": optional}'
    if "id" in payload and (isinstance(payload["id"], bool) or not isinstance(payload["id"], (str, int))):
        return '"id" must be a string or an integer'
    if payload.get("title") is not None and not isinstance(payload["title"], str):
        return '"title" must be a string'
    return None
