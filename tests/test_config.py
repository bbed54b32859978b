from __future__ import annotations

import pytest

from nlp.config import load_config, shipped_configs
from nlp.errors import ConfigError
from nlp.schema import Config


def write(tmp_path, text: str):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("name", sorted(shipped_configs()))
def test_every_shipped_config_loads(name):
    from nlp.finetune.config import FinetuneConfig, load_finetune_config

    if name.startswith("finetune_"):
        config = load_finetune_config(name)
        assert isinstance(config, FinetuneConfig) and name.removeprefix("finetune_").startswith(config.task[:5])
    else:
        assert isinstance(load_config(name), Config)


def test_shipped_finetune_configs_cover_every_task():
    assert {"finetune_topic", "finetune_stance", "finetune_summarizer", "finetune_heads"} <= set(shipped_configs())


def test_shipped_configs_include_default_and_hub():
    assert {"default", "hub"} <= set(shipped_configs())


def test_default_is_offline_embedded():
    config = load_config()
    assert config.summarizer.model == "embedded" and config.runtime.device == "auto"


@pytest.mark.parametrize("name", sorted(shipped_configs()))
def test_every_key_of_a_shipped_config_is_commented(name):
    """Each `key: value` line has a comment; list items and the entries of a mapping whose own
    comment describes them (`{label: hypothesis}`) are data, not keys."""
    data_indent = None
    for line in shipped_configs()[name].read_text().splitlines():
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if not stripped or stripped.startswith("#") or stripped.startswith("- "):
            continue
        if data_indent is not None and indent > data_indent:
            continue
        data_indent = indent if "{" in line.partition("#")[2] else None
        if not stripped.partition("#")[0].rstrip().endswith(":"):
            assert "#" in line, f"{name}: uncommented key: {line!r}"


def test_unknown_key_names_file_path_and_suggestion(tmp_path):
    path = write(tmp_path, "summarizer:\n  generation:\n    num_beam: 4\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert path in message
    assert "unknown key 'summarizer.generation.num_beam'" in message
    assert "did you mean 'summarizer.generation.num_beams'" in message


def test_unknown_key_in_wrong_section_suggests_the_right_one(tmp_path):
    path = write(tmp_path, "summarizer:\n  num_beams: 4\n")
    with pytest.raises(ConfigError, match="did you mean 'summarizer.generation.num_beams'"):
        load_config(path)


def test_unknown_section(tmp_path):
    with pytest.raises(ConfigError, match="unknown key 'summariser'; did you mean 'summarizer'"):
        load_config(write(tmp_path, "summariser:\n  model: x\n"))


def test_wrong_value_names_the_allowed_ones():
    with pytest.raises(
        ConfigError, match=r"summarizer.long_input: Input should be 'chunk', 'truncate' or 'error' \(found 'chunks'\)"
    ):
        load_config(None, ["summarizer.long_input=chunks"])


def test_wrong_type_names_key_and_value():
    with pytest.raises(ConfigError, match=r"override 'summarizer.batch_size=lots'.*valid integer.*found 'lots'"):
        load_config(None, ["summarizer.batch_size=lots"])


def test_exponent_floats_work_from_yaml_and_overrides(tmp_path):
    # PyYAML reads 2e-5 as a string; validation must still give a float.
    config = load_config(write(tmp_path, "summarizer:\n  generation:\n    length_penalty: 2e-5\n"))
    assert config.summarizer.generation.length_penalty == pytest.approx(2e-5)
    config = load_config(None, ["summarizer.generation.temperature=5e-1"])
    assert config.summarizer.generation.temperature == pytest.approx(0.5)


def test_overrides_set_nested_keys_with_yaml_types():
    config = load_config(None, ["summarizer.generation.num_beams=4", "summarizer.enabled=false", "runtime.device=cpu"])
    assert config.summarizer.generation.num_beams == 4
    assert config.summarizer.enabled is False
    assert config.runtime.device == "cpu"


@pytest.mark.parametrize("item", ["summarizer", "=3", "summarizer..model=x"])
def test_malformed_override(item):
    with pytest.raises(ConfigError, match="key.sub=value"):
        load_config(None, [item])


def test_bad_device_value():
    with pytest.raises(ConfigError, match="runtime.device: allowed: auto, cpu, cuda, cuda:N"):
        load_config(None, ["runtime.device=gpu"])


def test_trust_remote_code_refused_as_override():
    with pytest.raises(ConfigError, match="only be set in a config file"):
        load_config(None, ["summarizer.trust_remote_code=true"])


def test_trust_remote_code_needs_a_pinned_commit(tmp_path):
    path = write(tmp_path, "summarizer:\n  model: org/model\n  trust_remote_code: true\n  revision: main\n")
    with pytest.raises(ConfigError, match="pin `revision` to a full 40-character commit hash"):
        load_config(path)
    pinned = write(tmp_path, f"summarizer:\n  model: org/model\n  trust_remote_code: true\n  revision: {'a' * 40}\n")
    assert load_config(pinned).summarizer.trust_remote_code is True


def test_yaml_syntax_error_names_the_line(tmp_path):
    with pytest.raises(ConfigError, match=r"c.yaml:3: not valid YAML"):
        load_config(write(tmp_path, "runtime:\n  device: cpu\n  - float32\n"))


def test_config_must_be_a_mapping(tmp_path):
    with pytest.raises(ConfigError, match="a config is a mapping of sections, found list"):
        load_config(write(tmp_path, "- a\n- b\n"))


def test_missing_config_file_lists_shipped_names():
    with pytest.raises(ConfigError, match=r"does not exist; give a path or a shipped name \(default, .*hub"):
        load_config("nope.yaml")


def test_empty_config_file_means_defaults(tmp_path):
    assert load_config(write(tmp_path, "# nothing\n")) == Config()
