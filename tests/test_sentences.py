from __future__ import annotations

from nlp.sentences import split_sentences

TEXT = (
    "PYONGYANG, Jan. 5 (KCNA) -- The respected Comrade Kim Jong Un visited a factory. He praised the workers!\n\n"
    '  The U.S. and N. Korea traded statements. Gen. Kim said: "We are ready." Talks resumed at 3 p.m. Monday.  \n'
    "Is this the end? No. 2 on the list was Mr. Lee."
)


def test_offsets_slice_the_original_text_exactly():
    for sentence in split_sentences(TEXT):
        assert TEXT[sentence.start : sentence.end] == sentence.text
        assert sentence.text == sentence.text.strip()


def test_abbreviations_and_initials_do_not_split():
    texts = [s.text for s in split_sentences(TEXT)]
    assert texts == [
        "PYONGYANG, Jan. 5 (KCNA) -- The respected Comrade Kim Jong Un visited a factory.",
        "He praised the workers!",
        "The U.S. and N. Korea traded statements.",
        'Gen. Kim said: "We are ready."',
        "Talks resumed at 3 p.m. Monday.",
        "Is this the end?",
        "No. 2 on the list was Mr. Lee.",
    ]


def test_blank_lines_end_sentences_and_empty_text_has_none():
    assert [s.text for s in split_sentences("Headline without stop\n\nBody text.")] == [
        "Headline without stop",
        "Body text.",
    ]
    assert split_sentences("   \n\n ") == []
