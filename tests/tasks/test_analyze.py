from __future__ import annotations

import pytest

from helpers import CORPUS
from nlp.config import load_config
from nlp.tasks.analyze import Analyzer


def test_one_string_gives_one_record_and_a_list_gives_a_list(tiny_bart, tiny_nli):
    analyzer = Analyzer(
        load_config(
            None,
            [
                f"summarizer.model={tiny_bart}",
                f"topic.model={tiny_nli}",
                f"stance.model={tiny_nli}",
                "runtime.device=cpu",
            ],
        )
    )
    single = analyzer.analyze(CORPUS[0])
    assert isinstance(single, dict) and set(single) == {"id", "summary", "topic", "stance"}
    many = analyzer.analyze(CORPUS[:3], ids=["a", "b", "c"])
    assert [r["id"] for r in many] == ["a", "b", "c"]
    assert many[1]["stance"]["label"] == "not_about_target"  # mentions neither North Korea nor an alias


def test_switched_off_tasks_have_no_key(tiny_bart):
    analyzer = Analyzer(
        load_config(
            None, [f"summarizer.model={tiny_bart}", "topic.enabled=false", "stance.enabled=false", "runtime.device=cpu"]
        )
    )
    assert set(analyzer.analyze(CORPUS[0])) == {"id", "summary"}


def test_one_nli_model_is_shared_by_topic_and_stance(tiny_nli):
    analyzer = Analyzer(
        load_config(
            None,
            ["summarizer.enabled=false", f"topic.model={tiny_nli}", f"stance.model={tiny_nli}", "runtime.device=cpu"],
        )
    )
    assert analyzer.topic.scorer.model is analyzer.stance.backend.scorer.model


def test_abstractive_path_reads_the_cleaned_body_without_the_headline(tiny_bart, monkeypatch):
    seen: list[str] = []

    def analyzer(*overrides: str) -> Analyzer:
        config = [f"summarizer.model={tiny_bart}", "topic.enabled=false", "stance.enabled=false", "runtime.device=cpu"]
        built = Analyzer(load_config(None, [*config, *overrides]))
        generate = built.summarizer._generate
        monkeypatch.setattr(
            built.summarizer, "_generate", lambda texts, caps: seen.extend(texts) or generate(texts, caps)
        )
        return built

    page = f"Home | World\nTalks Collapse in Hanoi\nAdvertisement\n{CORPUS[1]} {CORPUS[7]}\nShare this article\n"
    record = analyzer().analyze([page])[0]
    assert seen == [f"{CORPUS[1]} {CORPUS[7]}"]
    assert record["document"]["title"] == "Talks Collapse in Hanoi"
    assert record["document"]["furniture"] == {"advertisement": 1, "navigation": 1, "share": 1}
    seen.clear()
    analyzer("document.clean=false", "document.headline=false").analyze([page])
    assert "Advertisement" in seen[0] and "Talks Collapse in Hanoi" in seen[0]


def test_from_dict_validates_a_mapping_like_a_config_file():
    from nlp.errors import ConfigError

    off = {"summarizer": {"enabled": False}, "topic": {"enabled": False}, "runtime": {"device": "cpu"}}
    analyzer = Analyzer.from_dict(off, ["stance.enabled=false", "topic.threshold=0.3"])
    assert analyzer.config.topic.threshold == 0.3 and analyzer.config.stance.target == "North Korea"  # defaults kept
    assert analyzer.analyze(["a", "b"], ids=["x", "y"]) == [{"id": "x"}, {"id": "y"}]
    with pytest.raises(ConfigError, match=r"<dict>: unknown key 'topic.treshold'; did you mean 'topic.threshold'"):
        Analyzer.from_dict({"topic": {"treshold": 0.3}})
    with pytest.raises(ConfigError, match="can only be set in a config file"):
        Analyzer.from_dict(off, ["topic.trust_remote_code=true"])
    assert off == {"summarizer": {"enabled": False}, "topic": {"enabled": False}, "runtime": {"device": "cpu"}}


def test_the_offline_default_runs_one_minilm_for_summary_and_heads():
    analyzer = Analyzer(load_config(None, ["runtime.device=cpu"]))
    encoder = analyzer.summarizer.encoder
    assert (
        analyzer.topic.heads.encoder("topic") is encoder and analyzer.stance.backend.heads.encoder("stance") is encoder
    )
