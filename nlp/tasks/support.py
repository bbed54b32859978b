"""Summary support: each summary sentence checked against the text it summarizes.

For every summary (abstractive above all; an extractive one passes trivially), each summary sentence
gets the source sentences that support it best (cosine of the packaged MiniLM vectors, from
`nlp.models.embedded.shared_encoder`, whose memo the other tasks share) and a support score: that
best similarity, or, when `summarizer.support.model` is an NLI checkpoint, the entailment probability of the
sentence given those source sentences. The numbers, dates and names of the sentence that the source
does not contain are listed (`unsupported_tokens`). A sentence scoring below the threshold, or with
any unsupported token, is `supported: false`. Source offsets point into `Document.text`, the original
text, so `text[start:end]` is the source sentence; `span` is the sentence's place in the summary text.
"""

from __future__ import annotations

import re
from functools import cached_property

import numpy as np

from nlp.document import Document
from nlp.labels import softmax
from nlp.models.embedded import shared_encoder
from nlp.models.load import load_classifier
from nlp.models.provenance import encoder_entry, resolved
from nlp.models.scorer import SequenceScorer, label_index
from nlp.runtime import Runtime
from nlp.schema import DEFAULT_ALIASES, EMBEDDED, SupportConfig
from nlp.sentences import Sentence, split_sentences

NUMBER_WORDS = {
    word: str(value)
    for value, word in enumerate(
        "zero _ two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
        "seventeen eighteen nineteen twenty".split()
    )
    if word != "_"  # "one" is a pronoun as often as a number
} | {word: str(10 * (i + 3)) for i, word in enumerate("thirty forty fifty sixty seventy eighty ninety".split())}
MONTHS = "january february march april may june july august september october november december".split()
WEEKDAYS = "monday tuesday wednesday thursday friday saturday sunday".split()
_DATE_WORDS = (
    {name: name[:3] for name in MONTHS + WEEKDAYS} | {n[:3]: n[:3] for n in MONTHS + WEEKDAYS} | {"sept": "sep"}
)
# Names a summary may use for what its source calls otherwise: a name in a group is supported when the
# source has any name of that group ("Washington" for "the U.S.", "North Korea" for "the DPRK"). Places and
# institutions only: a person is never another name for a country.
NAME_GROUPS = [
    [
        *(name for name in DEFAULT_ALIASES if not name.startswith("Kim ")),
        "N Korea",
        "North",
        "Democratic People's Republic",
    ],
    ["South Korea", "South Korean", "South Koreans", "Seoul", "ROK", "Republic of Korea"],
    ["United States", "US", "U.S", "USA", "America", "American", "Americans", "Washington", "White House", "Pentagon"],
    ["China", "Chinese", "Beijing", "PRC"],
    ["Russia", "Russian", "Russians", "Moscow", "Kremlin"],
    ["Japan", "Japanese", "Tokyo"],
    ["United Kingdom", "UK", "U.K", "Britain", "British", "London"],
    ["United Nations", "UN", "U.N", "UNSC", "Security Council", "UN Security Council"],
]
# Stems compared without these endings, on both sides (Korean: Korea, Asian: Asia, Ukraine: Ukrainian)
DEMONYM_SUFFIXES = ("ians", "ian", "ans", "an", "ese", "ern", "ish", "ns", "n", "i", "e", "s")
_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*")
_WORD = re.compile(r"[^\W\d_](?:[\w'\u2019.-]*[^\W_])?")
_SKIPPED_NAMES = {"I"}


class SupportChecker:
    """Scores summary sentences against their documents' sentences (`check`)."""

    def __init__(self, config: SupportConfig, runtime: Runtime):
        self.config, self.runtime = config, runtime
        self.encoder = shared_encoder(runtime)
        self.nli: SequenceScorer | None = None
        if config.model != EMBEDDED:
            tokenizer, model = load_classifier(config, runtime, key="summarizer.support.model")
            self.nli = SequenceScorer(tokenizer, model, runtime, batch_size=16)
            self._entail = label_index(self.nli.labels, "entail", f"summarizer.support.model {config.model}")

    @property
    def method(self) -> str:
        return "nli" if self.nli is not None else "similarity"

    @property
    def threshold(self) -> float:
        return self.config.nli_threshold if self.nli is not None else self.config.threshold

    @cached_property
    def provenance(self) -> list[dict]:
        """The `resolved` entries of the weights the check runs on (kind `support`)."""
        entries = [encoder_entry("support")]
        if self.nli is not None:
            entries += resolved(self.config.model, self.config.revision, kind="support")
        return entries

    def check(self, docs: list[Document], summaries: list[str]) -> list[dict]:
        """The `summary.support` part for each (document, summary text) pair, in order."""
        units = [split_sentences(summary) for summary in summaries]
        vectors = self.encoder.encode(
            [s.text for group in units for s in group] + [s.text for doc in docs for s in doc.sentences]
        )
        summary_vectors, offset = vectors, sum(len(group) for group in units)
        source_vectors = vectors[offset:]
        picked: list[list[tuple[np.ndarray, np.ndarray]]] = []  # per doc, per sentence: (indices, similarities)
        s_start = t_start = 0
        for doc, group in zip(docs, units):
            own = summary_vectors[s_start : s_start + len(group)]
            source = source_vectors[t_start : t_start + len(doc.sentences)]
            s_start, t_start = s_start + len(group), t_start + len(doc.sentences)
            similarity = own @ source.T if len(doc.sentences) else np.zeros((len(group), 0))
            picked.append([best_sources(row, self.config.sources) for row in similarity])
        entailments = self._entailments(docs, units, picked)
        return [
            self._record(doc, group, choices, next(entailments) if self.nli is not None else None)
            for doc, group, choices in zip(docs, units, picked)
        ]

    def _entailments(self, docs, units, picked):
        """Per document, the entailment probability of each summary sentence given its best sources."""
        if self.nli is None:
            return iter(())
        premises, hypotheses, counts = [], [], []
        for doc, group, choices in zip(docs, units, picked):
            for sentence, (indices, _) in zip(group, choices):
                premises.append(" ".join(doc.sentences[i].text for i in sorted(indices.tolist())) or ".")
                hypotheses.append(sentence.text)
            counts.append(len(group))
        probabilities = softmax(self.nli.logits(premises, hypotheses))[:, self._entail] if premises else np.zeros(0)
        out, start = [], 0
        for count in counts:
            out.append(probabilities[start : start + count])
            start += count
        return iter(out)

    def _record(self, doc: Document, group: list[Sentence], choices, entailment: np.ndarray | None) -> dict:
        vocabulary = Vocabulary(doc.text)
        sentences = []
        for k, (sentence, (indices, similarities)) in enumerate(zip(group, choices)):
            similarity = round(float(similarities[0]), 4) if len(similarities) else 0.0
            score = similarity if entailment is None else round(float(entailment[k]), 4)
            missing = unsupported_tokens(sentence.text, vocabulary)
            item = {
                "text": sentence.text,
                "span": [sentence.start, sentence.end],
                "score": score,
                "supported": score >= self.threshold and not missing,
                "sources": [
                    {
                        "text": doc.sentences[i].text,
                        "start": doc.sentences[i].start,
                        "end": doc.sentences[i].end,
                        "score": round(float(value), 4),
                    }
                    for i, value in zip(indices.tolist(), similarities.tolist())
                ],
                "unsupported": missing,
            }
            if entailment is not None:
                item["similarity"] = similarity
            sentences.append(item)
        flagged = sum(not item["supported"] for item in sentences)
        return {
            "method": self.method,
            "threshold": self.threshold,
            "supported": flagged == 0,
            "flagged": flagged,
            "sentences": sentences,
        }


def best_sources(similarities: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The indices of the `k` most similar source sentences (best first) and their similarities."""
    order = np.argsort(-similarities, kind="stable")[:k]
    return order, similarities[order]


# ---------------------------------------------------------------------------------------------
# Numbers, dates and names


def number_values(text: str) -> list[tuple[str, set[str]]]:
    """Each number of `text` as written, with the normalised values it stands for: the second year of a
    range also whole (2016-17: 17 and 2017)."""
    found = []
    for match in _NUMBER.finditer(text):
        values = {normal_number(match.group())}
        before = text[max(0, match.start() - 5) : match.start()]
        if len(match.group()) == 2 and re.fullmatch(r"(?:19|20)\d\d[-\u2013]", before):
            values.add(before[:2] + match.group())
        found.append((match.group(), values))
    return found


class Vocabulary:
    """What a source text contains, for `unsupported_tokens`: its numbers (digits, and number words as
    digits), its month and weekday names, its words (lower-cased, with every prefix of 4+ letters) and
    the `NAME_GROUPS` it names."""

    def __init__(self, text: str):
        self.numbers = {value for _, values in number_values(text) for value in values}
        words = [normal_word(m.group()) for m in _WORD.finditer(text)]
        parts = {part for word in words for part in word.split("-") if part}
        self.numbers |= {NUMBER_WORDS[p] for p in parts if p in NUMBER_WORDS}
        self.dates = {_DATE_WORDS[p] for p in parts if p in _DATE_WORDS}
        self.words = parts
        self.prefixes = {p[:n] for p in parts for n in range(4, len(p) + 1)} | {s for p in parts for s in stems(p)}
        joined = " " + " ".join(words).replace("-", " ") + " "
        self.groups = {i for i, group in enumerate(_GROUPS) if any(f" {name} " in joined for name in group)}

    def has_word(self, part: str) -> bool:
        """The word, a longer word it begins (Korea: Korean), or a stem shared with one (`stems`)."""
        return part in self.words or part in self.prefixes or any(stem in self.prefixes for stem in stems(part))

    def has_name(self, name: str) -> bool:
        """A name of a `NAME_GROUPS` group that the source names too (itself or another of the group)."""
        return any(name in _GROUPS[i] for i in self.groups)


def stems(word: str) -> list[str]:
    """`word` less each `DEMONYM_SUFFIXES` ending it has, where 4+ letters remain."""
    return [word[: -len(end)] for end in DEMONYM_SUFFIXES if word.endswith(end) and len(word) - len(end) >= 4]


def unsupported_tokens(sentence: str, source: Vocabulary) -> list[dict]:
    """The numbers, dates (month and weekday names) and names (runs of capitalised words; a lone
    capitalised word opening the sentence is not taken for a name) of `sentence` that `source` lacks,
    each once, in order: [{"text", "kind"}]."""
    found: list[dict] = []

    def add(text: str, kind: str) -> None:
        if not any(item["text"] == text for item in found):
            found.append({"text": text, "kind": kind})

    for written, values in number_values(sentence):
        if not values & source.numbers:
            add(written, "number")
    words = list(_WORD.finditer(sentence))
    for match in words:
        for piece in match.group().split("-"):
            part = normal_word(piece)
            if part in NUMBER_WORDS and NUMBER_WORDS[part] not in source.numbers:
                add(piece, "number")
            elif piece[:1].isupper() and part in _DATE_WORDS and _DATE_WORDS[part] not in source.dates:
                add(piece, "date")
    for run in name_runs(sentence, words):
        if not name_supported(run, source, opens=run[0] is words[0]):
            start = run[1].start() if run[0] is words[0] and not is_acronym(run[0].group()) else run[0].start()
            add(sentence[start : run[-1].end()], "name")
    return found


def name_supported(run: list[re.Match], source: Vocabulary, opens: bool) -> bool:
    """Whether the source has the name: the parts of it that form a `NAME_GROUPS` name the source's
    group names too, and each other capitalised part (the sentence's opening word aside) is a source word."""
    parts: list[tuple[str, bool]] = []  # (normalised part, is it the sentence's opening word)
    for k, match in enumerate(run):
        for piece in match.group().split("-"):
            if piece and piece[0].isupper() and normal_word(piece) not in _DATE_WORDS:
                parts.append((normal_word(piece), opens and k == 0 and not is_acronym(match.group())))
    covered = [False] * len(parts)
    for n in range(len(parts), 0, -1):
        for i in range(len(parts) - n + 1):
            if source.has_name(" ".join(p for p, _ in parts[i : i + n])):
                covered[i : i + n] = [True] * n
    return all(done or opening or source.has_word(p) for (p, opening), done in zip(parts, covered))


def is_acronym(word: str) -> bool:
    return len(word) > 1 and word.replace(".", "").isupper()


def name_runs(sentence: str, words: list[re.Match]) -> list[list[re.Match]]:
    """Runs of capitalised words next to each other, month and weekday names aside; the sentence's
    opening word, capitalised anyway, is kept only as the head of a longer run or as an acronym."""
    runs: list[list[re.Match]] = []
    for index, match in enumerate(words):
        word = match.group()
        if not word[0].isupper() or normal_word(word) in _DATE_WORDS or word in _SKIPPED_NAMES:
            continue
        if runs and runs[-1][-1] is words[index - 1] and sentence[words[index - 1].end() : match.start()] == " ":
            runs[-1].append(match)
        else:
            runs.append([match])
    return [run for run in runs if len(run) > 1 or run[0] is not words[0] or is_acronym(run[0].group())]


def normal_number(text: str) -> str:
    """Digits as compared: thousands separators out (1,500 = 1500), a trailing .0 dropped."""
    value = text.replace(",", "")
    return value[:-2] if value.endswith(".0") else value


def normal_word(text: str) -> str:
    """Lower case, no possessive, no dots (U.S. = US)."""
    word = text.lower().replace("\u2019", "'")
    word = word[:-2] if word.endswith("'s") else word.rstrip("'")
    return word.replace(".", "")


_GROUPS = [{normal_word(name).replace("-", " ") for name in group} for group in NAME_GROUPS]
