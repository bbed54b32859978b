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


def test_headline_without_punctuation_is_its_own_segment():
    text = (
        "North Korea leaders weigh responses to missile launch\nFollowing the latest test, officials met. They spoke."
    )
    assert [s.text for s in split_sentences(text)] == [
        "North Korea leaders weigh responses to missile launch",
        "Following the latest test, officials met.",
        "They spoke.",
    ]


def test_bylines_datelines_and_list_items_end_at_their_line_break():
    text = "By Jane Doe\nSEOUL (Reuters) -\nThe measures include:\n- a ban on coal\n- a cap on oil\nOfficials agreed."
    assert [s.text for s in split_sentences(text)] == [
        "By Jane Doe",
        "SEOUL (Reuters) -",
        "The measures include:",
        "- a ban on coal",
        "- a cap on oil",
        "Officials agreed.",
    ]


def test_hard_wrapped_paragraph_keeps_its_lines_together():
    text = (
        "The missiles were launched from near Kwail in South Hwanghae province at\n"
        "5:24 a.m. and flew about 450 km across the peninsula before\n"
        "falling into the sea. Japan said nothing had\nlanded in its zone."
    )
    sentences = split_sentences(text)
    assert len(sentences) == 2 and sentences[1].text == "Japan said nothing had\nlanded in its zone."


def test_spans_limit_the_split_and_offsets_still_slice_the_text():
    text = "Kept one. Kept two.\nDROPPED LINE\nKept three."
    spans = ((0, 20), (33, len(text)))
    sentences = split_sentences(text, spans)
    assert [s.text for s in sentences] == ["Kept one.", "Kept two.", "Kept three."]
    assert all(text[s.start : s.end] == s.text for s in sentences)


def test_is_headline_rules():
    from nlp.sentences import is_headline

    assert is_headline("North Korea tests solid-fuel missile as allies open joint drills")
    assert is_headline("Kim Uses Summits as a Launch Window")
    assert not is_headline("North Korea fired a missile on Tuesday.")  # closed: a sentence
    assert not is_headline("The missiles were launched from near Kwail in the")  # stops mid-phrase
    assert not is_headline("By Jane Doe")
    assert not is_headline("What would sanctions relief involve?") and is_headline(
        "What would sanctions relief involve?", question_ok=True
    )
