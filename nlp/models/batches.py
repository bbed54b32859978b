"""Length-sorted batches under a padded-token budget, shared by the summarizer and the sequence scorer."""

from __future__ import annotations


def token_batches(lengths: list[int], max_tokens: int, max_rows: int) -> list[list[int]]:
    """Indices into `lengths`, longest first, cut into batches of at most `max_rows` rows whose
    padded size (rows x longest) stays within `max_tokens`; a row alone may exceed it."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    batches: list[list[int]] = []
    for i in order:
        if batches and len(batches[-1]) < max_rows and (len(batches[-1]) + 1) * lengths[batches[-1][0]] <= max_tokens:
            batches[-1].append(i)
        else:
            batches.append([i])
    return batches
