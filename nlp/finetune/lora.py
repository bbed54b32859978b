"""The embedded default's LoRA adapter, tuned SetFit-style on pairs of text units.

Pairs of units (runs of consecutive sentences, each labelled with its article's stance, or with
`topic_share` > 0 partly its primary topic) are embedded as inference embeds a document (sentence
means, L2-normalised), and the cosine of each pair is regressed (MSE) onto 1 for the same class and
0 otherwise (or an ordinal stance target). Only the LoRA matrices learn (peft).
"""

from __future__ import annotations

import copy
import logging
import time
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from nlp.finetune.config import HeadsConfig
from nlp.labels import TOPIC_LABELS
from nlp.models.encoder import token_windows

log = logging.getLogger(__name__)

# Items are `nlp.train_heads.Item`s: `.topics` (primary first), `.stance`, `.sentences`.
MAX_TOKENS = 256


def lora_scaling(settings: HeadsConfig) -> float:
    """How much of B @ A is added to a weight: alpha / rank, as peft does."""
    return settings.alpha / settings.rank


def make_chunks(tokenizer: Any, items: list[Any], max_tokens: int) -> tuple[list[tuple[str, ...]], np.ndarray]:
    """Consecutive sentences packed into units of at most `max_tokens` tokens, with their items' indices.

    Chunks give ~3 pair units per article and keep the sentence-mean form of the document embedding.
    """
    units, owners = [], []
    for index, item in enumerate(items):
        lengths = [len(ids) for ids in tokenizer(list(item.sentences), add_special_tokens=False)["input_ids"]]
        start, size = 0, 0
        for k, length in enumerate(lengths):
            if k > start and size + length > max_tokens:
                units.append(item.sentences[start:k])
                start, size = k, 0
            size += length
        units.append(item.sentences[start:])
        owners.extend([index] * (len(units) - len(owners)))
    return units, np.asarray(owners, dtype=np.int64)


def training_pairs(
    items: list[Any], owners: np.ndarray, settings: HeadsConfig, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Stance pairs, plus (with `topic_share` > 0) that share of primary-topic pairs, interleaved."""
    total = settings.steps * settings.batch_pairs
    n_topic = int(round(total * settings.topic_share))
    stance = np.array([items[o].stance for o in owners], dtype=np.float32)
    pairs, goals = sample_pairs(stance, total - n_topic, rng, settings.target)
    if n_topic:
        topic = np.array([TOPIC_LABELS.index(items[o].topics[0]) for o in owners], dtype=np.float32)
        more, more_goals = sample_pairs(topic, n_topic, rng, "binary")
        order = rng.permutation(total)
        pairs, goals = np.concatenate([pairs, more])[order], np.concatenate([goals, more_goals])[order]
    return pairs, goals


def sample_pairs(labels: np.ndarray, n: int, rng: np.random.Generator, target: str) -> tuple[np.ndarray, np.ndarray]:
    """SetFit-style pairs (half same class, half different) and their cosine targets."""
    first = rng.integers(0, len(labels), n)
    second = np.empty(n, dtype=np.int64)
    for k, i in enumerate(first):
        pool = np.flatnonzero((labels == labels[i]) if k % 2 == 0 else (labels != labels[i]))
        pool = pool[pool != i]
        second[k] = pool[rng.integers(0, len(pool))]
    gap = np.abs(labels[first] - labels[second])
    goal = 1.0 - gap / 2.0 if target == "ordinal" else (gap == 0).astype(np.float32)
    return np.stack([first, second], axis=1), goal.astype(np.float32)


def unit_embeddings(model: Any, tokenizer: Any, units: list[tuple[str, ...]], sub_batch: int = 16) -> torch.Tensor:
    """Differentiable sentence-mean embeddings of units, computed as `Encoder` and `document_vectors` do:
    a sentence longer than the window is embedded window by window (weighted by length), never cut.

    Windows go through in length-sorted sub-batches so little compute is spent on padding.
    """
    flat = [s for unit in units for s in unit]
    specials = tokenizer("", add_special_tokens=True)["input_ids"]  # [CLS] [SEP]
    head, tail = (specials[:1], specials[1:]) if len(specials) > 1 else ([], specials)
    windows, sentence_of = token_windows(tokenizer, flat, MAX_TOKENS - len(head) - len(tail))
    order = sorted(range(len(windows)), key=lambda i: len(windows[i]))
    pooled = []
    for first in range(0, len(order), sub_batch):
        ids = [head + windows[i] + tail for i in order[first : first + sub_batch]]
        batch = tokenizer.pad({"input_ids": ids}, return_tensors="pt")
        hidden = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).float()
        pooled.append((hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0))
    by_window = torch.empty(len(windows), pooled[0].shape[1]).index_copy(0, torch.tensor(order), torch.cat(pooled))
    weights = torch.tensor([float(len(w)) for w in windows]).unsqueeze(-1)
    sentences = torch.zeros(len(flat), by_window.shape[1]).index_add(0, torch.tensor(sentence_of), by_window * weights)
    owner = torch.tensor([k for k, unit in enumerate(units) for _ in unit])
    units_sum = torch.zeros(len(units), sentences.shape[1]).index_add(0, owner, F.normalize(sentences, dim=-1))
    return F.normalize(units_sum, dim=-1)


def train_lora(
    base: Any, tokenizer: Any, items: list[Any], settings: HeadsConfig, seed: int
) -> dict[str, torch.Tensor]:
    """Tune a LoRA adapter on a copy of `base` with the pair objective; return `lora.M.A`/`lora.M.B`."""
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(seed)
    units, owners = make_chunks(tokenizer, items, settings.chunk_tokens)
    pairs, goals = training_pairs(items, owners, settings, np.random.default_rng(seed))
    pattern = rf"encoder\.layer\.\d+\.(.+\.)?({'|'.join(settings.targets)})"  # not the unused pooler
    config = LoraConfig(r=settings.rank, lora_alpha=settings.alpha, lora_dropout=0.0, target_modules=pattern)
    model = get_peft_model(copy.deepcopy(base), config).train()  # peft edits the model it wraps
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=settings.lr, weight_decay=0.0)
    warmup = max(1, settings.steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(  # linear warm-up, then linear decay to 0
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (settings.steps - s) / max(1, settings.steps - warmup)))
    )
    log.info(
        "LoRA: %d units from %d items, %d steps x %d pairs",
        len(units),
        len(items),
        settings.steps,
        settings.batch_pairs,
    )
    started, running = time.time(), 0.0
    for step in range(settings.steps):
        rows = slice(step * settings.batch_pairs, (step + 1) * settings.batch_pairs)
        vectors = unit_embeddings(model, tokenizer, [units[i] for i in pairs[rows].ravel()])
        loss = F.mse_loss((vectors[0::2] * vectors[1::2]).sum(-1), torch.from_numpy(goals[rows]))
        loss.backward()
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        running = 0.9 * running + 0.1 * loss.item() if step else loss.item()
        if (step + 1) % 25 == 0 or step + 1 == settings.steps:
            log.info("LoRA step %d/%d loss %.4f (%.0f s)", step + 1, settings.steps, running, time.time() - started)
    return {
        f"lora.{name.removeprefix('base_model.model.')}.{part}": getattr(module, f"lora_{part}")["default"]
        .weight.detach()
        .float()
        .clone()
        .contiguous()
        for name, module in model.named_modules()
        if hasattr(module, "lora_A")
        for part in ("A", "B")
    }
