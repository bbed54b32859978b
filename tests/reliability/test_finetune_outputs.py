"""`nlp finetune` on its output_dir: one run at a time, `--resume` on the same data content only, and
output paths refused before any model or data loads."""

from __future__ import annotations

import json
import os

import pytest

from nlp.errors import OutputError
from nlp.finetune.config import load_finetune_config
from nlp.finetune.outputs import check_output, start_output
from nlp.finetune.run import run_finetune


def setup(tmp_path, output_dir=None, model: str = "./no/such/model"):
    data = tmp_path / "train.jsonl"
    data.write_text("".join(json.dumps({"text": f"text {i}", "label": "security"}) + "\n" for i in range(4)))
    path = tmp_path / "finetune.yaml"
    path.write_text(
        f"task: topic\nmodel: {model}\noutput_dir: {output_dir or tmp_path / 'out'}\nruntime: {{device: cpu}}\n"
        f"data:\n  train_file: {data}\ntraining:\n  max_steps: 1\n"
    )
    return load_finetune_config(str(path)), data


def test_a_second_finetune_on_a_busy_output_dir_is_refused_naming_the_first(tmp_path):
    from nlp.files import OutputLock
    from nlp.finetune.outputs import lock_path

    config, _ = setup(tmp_path)
    with OutputLock(lock_path(tmp_path / "out"), "nlp finetune"):
        with pytest.raises(OutputError, match=rf"in use by another run \(pid {os.getpid()}, nlp finetune"):
            run_finetune(config)
        with pytest.raises(OutputError, match="in use by another run"):
            run_finetune(config, resume=True)


def fake_first_run(tmp_path):
    config, data = setup(tmp_path)
    out = tmp_path / "out"
    start_output(config, out, rank=0)
    (out / "checkpoint-1").mkdir()
    (out / "checkpoint-1" / "trainer_state.json").write_text("{}")
    return config, data, out


def test_resume_refuses_training_data_whose_content_changed(tmp_path):
    config, data, out = fake_first_run(tmp_path)
    assert check_output(config, out, resume=True, overwrite=False, rank=0).endswith("checkpoint-1")
    data.write_text(data.read_text().replace("text 2", "text two"))
    with pytest.raises(OutputError, match=r"`resume` refused: the data file .*train.jsonl changed since the first run"):
        check_output(config, out, resume=True, overwrite=False, rank=0)


@pytest.mark.parametrize("where", ["is a file", "under a file"])
def test_an_output_dir_that_cannot_be_a_folder_is_refused_before_anything_loads(tmp_path, where):
    (tmp_path / "plain").write_text("a file")
    out = tmp_path / "plain" if where == "is a file" else tmp_path / "plain" / "out"
    config, _ = setup(tmp_path, output_dir=out)
    with pytest.raises(OutputError, match="not a folder"):
        run_finetune(config)  # the model does not exist: an output error first means nothing loaded
