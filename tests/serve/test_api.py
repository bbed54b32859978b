"""The JSON API: the same record as `nlp summarize --json`, one size limit, models loaded once."""

from __future__ import annotations

import json

import pytest

from nlp.cli import main
from nlp.config import load_config


@pytest.fixture(scope="module")
def client(tiny_serve_config):
    from fastapi.testclient import TestClient

    from nlp.serve.app import build_app

    with TestClient(build_app(load_config(str(tiny_serve_config)))) as client:
        yield client


def test_api_returns_the_record_of_summarize_json(client, tiny_serve_config, article, capsys):
    response = client.post("/api/analyze", json={"text": article})
    assert response.status_code == 200
    assert main(["summarize", "--config", str(tiny_serve_config), "--json", "--text", article]) == 0
    record, printed = response.json(), json.loads(capsys.readouterr().out)
    # the same record; a server is one run, so only its run id and start time differ
    assert {**record, "run": None} == {**printed, "run": None}
    assert record["run"]["config_hash"] == printed["run"]["config_hash"] and set(record["run"]) == set(printed["run"])
    assert record["id"] == "text" and set(record) >= {"summary", "topic", "stance"}
    assert all(article[e["start"] : e["end"]] == e["text"] for e in record["stance"]["evidence"])


def test_api_takes_an_id_and_a_title(client, article):
    record = client.post("/api/analyze", json={"text": article, "id": 7, "title": "Missile launch"}).json()
    assert record["id"] == 7


@pytest.mark.parametrize(
    "body, status, message",
    [
        ({"text": "x" * 2001}, 413, "2,001 characters, over the limit of 2,000 (serve.max_chars)"),
        ({"text": "   "}, 400, "is empty"),
        ({"txt": "North Korea"}, 422, 'needs a "text" string'),
        ({"text": "North Korea", "id": [1]}, 422, '"id" must be a string or an integer'),
        ("not json", 400, "send JSON"),
    ],
)
def test_api_refuses_bad_input_with_a_status_and_a_reason(client, body, status, message):
    response = client.post("/api/analyze", content=body if isinstance(body, str) else json.dumps(body))
    assert response.status_code == status and message in response.json()["error"]


def test_api_refuses_an_oversized_body_before_parsing_it(client):
    response = client.post("/api/analyze", content=b"{" + b" " * 30_000)
    assert response.status_code == 413 and "body over" in response.json()["error"]


def test_health_and_the_page_are_served(client):
    assert client.get("/api/health").json() == {"ok": True, "max_chars": 2000}
    page = client.get("/")
    assert page.status_code == 200 and 'content="peninsula-nlp: one article"' in page.text


def test_models_are_loaded_once_for_page_and_api(tiny_serve_config, monkeypatch, article):
    from fastapi.testclient import TestClient

    import nlp.tasks.analyze
    from nlp.serve.app import build_app

    built = []

    class Counting(nlp.tasks.analyze.Analyzer):
        def __init__(self, *args, **kwargs):
            built.append(1)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(nlp.tasks.analyze, "Analyzer", Counting)
    with TestClient(build_app(load_config(str(tiny_serve_config)))) as client:
        for _ in range(3):
            assert client.post("/api/analyze", json={"text": article}).status_code == 200
    assert built == [1]
