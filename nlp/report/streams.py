"""Bounded streaming summaries: moments of a stream, a uniform reservoir sample, the k strongest items.

Each keeps O(1) or O(k) state whatever the length of the stream.
"""

from __future__ import annotations

import heapq
import math
import random
from dataclasses import dataclass, field


@dataclass
class Moments:
    """Count, sum and sum of squares of a stream of numbers: mean and a normal-approximation interval."""

    n: int = 0
    total: float = 0.0
    total_sq: float = 0.0

    def add(self, x: float) -> None:
        self.n += 1
        self.total += x
        self.total_sq += x * x

    @property
    def mean(self) -> float | None:
        return self.total / self.n if self.n else None

    @property
    def sd(self) -> float | None:
        if self.n < 2:
            return None
        return math.sqrt(max(0.0, (self.total_sq - self.total * self.total / self.n) / (self.n - 1)))

    def normal_interval(self, z: float) -> tuple[float | None, float | None]:
        """mean -/+ z * sd / sqrt(n), clipped to [-1, 1]; (None, None) under 2 values."""
        if self.sd is None:
            return None, None
        half = z * self.sd / math.sqrt(self.n)
        return max(-1.0, self.mean - half), min(1.0, self.mean + half)


@dataclass
class Reservoir:
    """A uniform random sample of at most `size` values of a stream (Vitter's algorithm R)."""

    size: int
    rng: random.Random
    seen: int = 0
    values: list[float] = field(default_factory=list)

    def add(self, x: float) -> None:
        self.seen += 1
        if len(self.values) < self.size:
            self.values.append(x)
        else:
            j = self.rng.randrange(self.seen)
            if j < self.size:
                self.values[j] = x


class Strongest:
    """The `k` items with the largest keys, each text once (a repeated text keeps its strongest copy)."""

    def __init__(self, k: int) -> None:
        self.k = k
        self.heap: list[tuple[float, int, dict]] = []
        self.texts: dict[str, float] = {}
        self._order = 0

    def offer(self, key: float, item: dict) -> None:
        if self.k == 0:
            return
        text = item["text"]
        if text in self.texts:
            if key <= self.texts[text]:
                return
            self.heap = [entry for entry in self.heap if entry[2]["text"] != text]
            heapq.heapify(self.heap)
        elif len(self.heap) >= self.k and key <= self.heap[0][0]:
            return
        self._order += 1
        heapq.heappush(self.heap, (key, -self._order, item))
        self.texts[text] = key
        while len(self.heap) > self.k:
            _, _, dropped = heapq.heappop(self.heap)
            del self.texts[dropped["text"]]

    def items(self) -> list[dict]:
        """Strongest first."""
        return [item for _, _, item in sorted(self.heap, reverse=True)]
