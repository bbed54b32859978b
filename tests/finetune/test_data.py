"""Training data checks: every problem of a file, with counts and line numbers, before training."""

from __future__ import annotations

import json

import pytest

from helpers import REPO
from nlp.errors import InputError
from nlp.finetune.config import FinetuneConfig
from nlp.finetune.data import load_examples


def config(task: str, **fields) -> FinetuneConfig:
    extra = {key: fields.pop(key) for key in ("objective", "labels") if key in fields}
    return FinetuneConfig(task=task, output_dir="out", data={"train_file": "x", **fields}, **extra)


def test_every_bad_row_is_reported_with_its_line_number(tmp_path):
    lines = [
        json.dumps({"text": "fine", "topics": ["security"]}),
        json.dumps({"text": "", "topics": ["security"]}),
        "{not json",
        json.dumps({"text": "x", "topics": ["sanction"]}),
        json.dumps({"text": "y"}),
        json.dumps({"text": "z", "topics": ["economy", "security"]}),
        json.dumps([1, 2]),
        json.dumps({"text": 7, "topics": "security"}),
    ]
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as error:
        load_examples(str(bad), config("topic", label_field="topics"))
    message = str(error.value)
    assert message.startswith(f"{bad}: 7 problems, training not started")
    assert "unknown label (2 rows: lines 4, 6; found 'economy', 'sanction')" in message
    assert "empty 'text' (1 row: line 2)" in message and "not valid JSON (1 row: line 3)" in message
    assert "missing field 'topics' (1 row: line 5)" in message and "not a JSON object (1 row: line 7)" in message
    assert "field 'text' is not a string (1 row: line 8; found 'int')" in message
    assert "known labels: security, diplomacy, sanctions" in message


def test_good_rows_become_examples_with_label_lists(tmp_path):
    good = tmp_path / "good.jsonl"
    good.write_text(
        json.dumps({"text": "a", "topics": "security"})
        + "\n\n"
        + json.dumps({"text": "b", "topics": ["sanctions", "diplomacy"]})
        + "\n"
    )
    assert load_examples(str(good), config("topic", label_field="topics")) == [
        {"text": "a", "labels": ["security"]},
        {"text": "b", "labels": ["sanctions", "diplomacy"]},
    ]


def test_csv_rows_count_lines_and_stance_values_are_checked(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text('text,stance\n"multi\nline text",0.5\nfine,1.7\nok,supportive\n')
    with pytest.raises(InputError, match=r"stance is not a number in \[-1, 1\] \(1 row: line 4; found '1.7'\)"):
        load_examples(str(bad), config("stance", label_field="stance", objective="regression"))
    with pytest.raises(InputError, match=r"unknown label \(2 rows: lines 3, 4.*use labels"):
        load_examples(str(bad), config("stance", label_field="stance"))


def test_numeric_stances_map_to_classes_of_that_value(tmp_path):
    rows = tmp_path / "rows.jsonl"
    rows.write_text(
        "".join(json.dumps({"text": "t", "stance": value}) + "\n" for value in (-1, -0.5, 0, "0.5", "supportive"))
    )
    five = config("stance", label_field="stance", labels=["-1", "-0.5", "0", "0.5", "1"])
    with pytest.raises(InputError, match=r"unknown label \(1 row: line 5; found 'supportive'\)"):
        load_examples(str(rows), five)
    rows.write_text("".join(json.dumps({"text": "t", "stance": value}) + "\n" for value in (-1, -0.5, 0, "0.5")))
    assert [e["labels"] for e in load_examples(str(rows), five)] == ["-1", "-0.5", "0", "0.5"]


def test_summaries_need_both_fields_and_a_missing_file_is_named(tmp_path):
    rows = tmp_path / "s.jsonl"
    rows.write_text(json.dumps({"text": "article", "summary": " "}) + "\n" + json.dumps({"text": "article"}) + "\n")
    with pytest.raises(
        InputError, match=r"empty 'summary' \(1 row: line 1\); missing field 'summary' \(1 row: line 2\)"
    ):
        load_examples(str(rows), config("summarization"))
    with pytest.raises(InputError, match="no such data file"):
        load_examples(str(tmp_path / "none.jsonl"), config("summarization"))


@pytest.mark.parametrize(
    "path",
    sorted(REPO.glob("data/news/*/*.jsonl")) + [REPO / "data/summaries/train.jsonl"],
    ids=lambda path: str(path.relative_to(REPO)),
)
def test_shipped_data_files_pass_the_checks(path):
    if "summaries" in path.parts:
        assert len(load_examples(str(path), config("summarization"))) == 80
    else:  # the data/news format: text, topics, a five-level stance
        assert len(load_examples(str(path), config("heads", label_field="topics"))) >= 90


def topic_rows(*texts: str) -> str:
    return "".join(json.dumps({"text": text, "label": "security"}) + "\n" for text in texts)


def test_invalid_utf8_names_the_line_not_a_byte_offset(tmp_path):
    rows = tmp_path / "rows.jsonl"
    rows.write_bytes(topic_rows("one", "two").encode() + b'{"text": "bad \xff", "label": "security"}\n')
    with pytest.raises(InputError, match=r"rows.jsonl: line 3 is not UTF-8 text") as error:
        load_examples(str(rows), config("topic"))
    assert "byte" not in str(error.value)


@pytest.mark.parametrize("suffix", ["jsonl", "csv"])
def test_a_utf8_bom_is_accepted_as_infer_accepts_it(tmp_path, suffix):
    rows = tmp_path / f"rows.{suffix}"
    body = topic_rows("one", "two") if suffix == "jsonl" else "text,label\none,security\ntwo,security\n"
    rows.write_bytes(b"\xef\xbb\xbf" + body.encode())
    assert [e["text"] for e in load_examples(str(rows), config("topic"))] == ["one", "two"]


def test_a_truncated_or_corrupt_gzip_file_is_an_input_error(tmp_path):
    import gzip

    packed = gzip.compress(topic_rows(*(f"text {i}" for i in range(2000))).encode())
    (tmp_path / "cut.jsonl.gz").write_bytes(packed[: len(packed) // 2])
    with pytest.raises(InputError, match=r"cut.jsonl.gz: cannot read the file after line \d+ .*gzip -t"):
        load_examples(str(tmp_path / "cut.jsonl.gz"), config("topic"))
    damaged = bytearray(packed)
    damaged[len(damaged) // 2 : len(damaged) // 2 + 64] = bytes(64)
    (tmp_path / "bad.jsonl.gz").write_bytes(bytes(damaged))
    with pytest.raises(InputError, match=r"bad.jsonl.gz: cannot read the file"):
        load_examples(str(tmp_path / "bad.jsonl.gz"), config("topic"))


def test_csv_rows_with_more_or_fewer_values_than_the_header_are_problems(tmp_path):
    rows = tmp_path / "rows.csv"
    rows.write_text("text,label\nfine,security\nextra,security,surprise\nshort\n")
    with pytest.raises(InputError) as error:
        load_examples(str(rows), config("topic"))
    message = str(error.value)
    assert "more values than the header's 2 columns (1 row: line 3)" in message
    assert "fewer values than the header's 2 columns (1 row: line 4)" in message


def test_json_lines_python_cannot_hold_are_problems_not_crashes(tmp_path):
    rows = tmp_path / "rows.jsonl"
    rows.write_text(
        topic_rows("fine") + '{"text": "big", "label": "security", "n": ' + "9" * 5000 + "}\n" + "[" * 100_000 + "\n"
    )
    with pytest.raises(InputError, match=r"not valid JSON \(2 rows: lines 2, 3"):
        load_examples(str(rows), config("topic"))


def test_duplicate_rows_are_kept_with_a_warning_that_counts_them(tmp_path, caplog):
    rows = tmp_path / "rows.jsonl"
    rows.write_text(topic_rows("one", "two", "one", "three", "one", "two"))
    with caplog.at_level("WARNING"):
        assert len(load_examples(str(rows), config("topic"))) == 6
    assert "3 rows repeat the text of an earlier row (lines 3, 5, 6)" in caplog.text


def test_validation_rows_that_are_also_training_rows_are_a_leak_warning(tmp_path, caplog):
    from nlp.finetune.run import load_splits

    train, validation = tmp_path / "train.jsonl", tmp_path / "validation.jsonl"
    train.write_text(topic_rows("one", "two", "three"))
    validation.write_text(topic_rows("two", "four", "three"))
    setup = FinetuneConfig(
        task="topic", output_dir="out", data={"train_file": str(train), "validation_file": str(validation)}
    )
    with caplog.at_level("WARNING"):
        load_splits(setup)
    assert "2 of 3 validation examples have the text of a training example" in caplog.text
