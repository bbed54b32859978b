from __future__ import annotations

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
