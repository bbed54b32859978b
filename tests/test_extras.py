"""One install hint for every optional part: right for a checkout and for a package from an index."""

from __future__ import annotations

import json
import sys
from importlib import metadata

import pytest

from helpers import REPO
from nlp import extras
from nlp.errors import ConfigError


def test_in_the_checkout_the_hint_installs_the_checkout(monkeypatch):
    monkeypatch.chdir(REPO)
    assert extras.install_hint("eval") == 'pip install ".[eval]"'


def test_from_another_folder_the_hint_names_the_checkout(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert extras.install_hint("train") == f'pip install "{REPO}[train]"'


def test_a_package_from_an_index_gets_the_distribution_name(monkeypatch, tmp_path):
    monkeypatch.setattr(extras, "__file__", str(tmp_path / "site-packages" / "nlp" / "extras.py"))
    monkeypatch.setattr(extras.metadata, "distribution", lambda name: FakeDistribution(None))
    assert extras.source_root() is None
    assert extras.install_hint("ray") == 'pip install "peninsula-nlp[ray]"'


def test_a_non_editable_install_of_a_checkout_points_at_that_checkout(monkeypatch, tmp_path):
    monkeypatch.setattr(extras, "__file__", str(tmp_path / "site-packages" / "nlp" / "extras.py"))
    origin = {"url": REPO.as_uri(), "dir_info": {}}
    monkeypatch.setattr(extras.metadata, "distribution", lambda name: FakeDistribution(json.dumps(origin)))
    assert extras.source_root() == REPO
    wheel = {"url": (tmp_path / "peninsula_nlp-0.1.0-py3-none-any.whl").as_uri(), "archive_info": {}}
    monkeypatch.setattr(extras.metadata, "distribution", lambda name: FakeDistribution(json.dumps(wheel)))
    assert extras.source_root() is None


def test_missing_packages_are_named_by_distribution_with_the_right_grammar(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    with pytest.raises(ConfigError) as one:
        extras.require_extra("evaluate", "eval", {"json": "json", "sklearn": "scikit-learn"})
    assert "evaluate needs scikit-learn, which is not installed; install the eval extra: pip install" in str(one.value)
    monkeypatch.setitem(sys.modules, "rouge_score", None)
    with pytest.raises(ConfigError) as two:
        extras.require_extra("finetune", "train", {"sklearn": "scikit-learn", "rouge_score": "rouge-score"})
    assert "finetune needs scikit-learn and rouge-score, which are not installed" in str(two.value)
    three = extras.needs_message("x", "y", ["a", "b", "c"])
    assert three.startswith("x needs a, b and c, which are not installed")


def test_present_modules_pass():
    extras.require_extra("anything", "none", {"json": "json", "yaml": "pyyaml"})


class FakeDistribution:
    def __init__(self, direct_url: str | None):
        self.direct_url = direct_url

    def read_text(self, name: str) -> str | None:
        return self.direct_url if name == "direct_url.json" else None


def test_the_distribution_is_installed_under_its_name():
    assert metadata.distribution(extras.DISTRIBUTION).metadata["Name"] == "peninsula-nlp"


def require_finetune():
    from nlp.finetune.run import require_packages

    require_packages("summarization")


def require_evaluate():
    from nlp.evaluate.run import require_eval_packages

    require_eval_packages()


def require_html():
    from nlp.html import require_html

    require_html()


def require_ray():
    from nlp.infer.ray import require_ray

    require_ray()


@pytest.mark.parametrize(
    "check,module,expected",
    [
        (
            require_finetune,
            "rouge_score",
            "finetune needs rouge-score, which is not installed; install the train extra",
        ),
        (require_evaluate, "sklearn", "evaluate needs scikit-learn, which is not installed; install the eval extra"),
        (require_html, "trafilatura", "HTML input needs trafilatura, which is not installed; install the html extra"),
        (require_ray, "ray", "infer.backend: ray needs ray[data], which is not installed; install the ray extra"),
    ],
)
def test_every_optional_part_says_the_same_thing(check, module, expected, monkeypatch):
    monkeypatch.setitem(sys.modules, module, None)
    monkeypatch.chdir(REPO)
    with pytest.raises(ConfigError) as info:
        check()
    assert str(info.value).startswith(expected)
    assert str(info.value).endswith(f'pip install ".[{expected.split(" the ")[-1].split()[0]}]"')


def test_ctranslate2_missing_names_the_fast_extra(monkeypatch):
    from nlp.models.ctranslate import runtime_problem
    from nlp.runtime import Runtime

    monkeypatch.setitem(sys.modules, "ctranslate2", None)
    monkeypatch.chdir(REPO)
    import torch

    problem = runtime_problem(Runtime(torch.device("cpu"), torch.float32, 0))
    assert problem == 'ctranslate2 is not installed (install the fast extra: pip install ".[fast]")'
