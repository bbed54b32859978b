"""Whose voice a sentence speaks in, and how strongly a text reads as the DPRK's own voice."""

from __future__ import annotations

import pytest

from nlp.voice import dprk_register, sentence_voice, sentence_voices


@pytest.mark.parametrize(
    "sentence",
    [
        '"This is an outrageous act," Japan\'s prime minister told reporters.',
        "North Korea fired a missile on Tuesday, the military said.",
        "According to KCNA, the test was a complete success.",
        "The foreign ministry condemned the launch as a grave provocation.",
        "\u201cWe will answer force with force.",
    ],
)
def test_reported_speech_is_quoted(sentence):
    assert sentence_voice(sentence) == "quoted"


@pytest.mark.parametrize(
    "sentence",
    [
        "Washington should lift sanctions on North Korea and sign a peace treaty.",
        "The launch came two days after joint drills began.",
        "Pyongyang has broken every freeze it agreed to since 1994.",
    ],
)
def test_the_texts_own_words_are_own(sentence):
    assert sentence_voice(sentence) == "own"


def test_a_quotation_running_over_several_sentences_stays_quoted():
    sentences = ["\u201cWe are ready.", "Nobody should doubt it.", "We mean it,\u201d he added.", "Talks ended."]
    assert sentence_voices(sentences) == ["quoted", "quoted", "quoted", "own"]


def test_the_state_media_register_is_recognised():
    kcna = "Pyongyang, May 3 (KCNA) -- Respected Comrade Kim Jong Un guided the test of our Republic's war deterrent."
    assert dprk_register(kcna) == 1.0
    assert dprk_register("North Korea fired a ballistic missile into the sea, Seoul said.") == 0.0
