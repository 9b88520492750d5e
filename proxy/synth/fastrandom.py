"""A seeded random stream tuned for bulk generation.

`random.Random.randrange` and `choice` spend most of their time in argument checks and
rejection sampling; scaling one `random()` float is several times faster and, for the ranges
used here (far below 2**53), uniform enough. The stream stays fully determined by the seed.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from _typeshed import SupportsLenAndGetItem

T = TypeVar("T")


class FastRandom(random.Random):
    """random.Random with fast `randrange` and `choice` (same signatures, same determinism)."""

    def randrange(self, start: int, stop: int | None = None, step: int = 1) -> int:
        if stop is None:
            start, stop = 0, start
        if step != 1 or stop <= start:
            return super().randrange(start, stop, step)
        return start + int(self.random() * (stop - start))

    def choice(self, seq: SupportsLenAndGetItem[T]) -> T:
        return seq[int(self.random() * len(seq))]


def weighted_choice(rng: random.Random, choices: tuple[tuple[str, int], ...]) -> str:
    """One value of `choices` (value, weight) pairs, drawn with probability weight / total."""
    pick = rng.randrange(sum(w for _, w in choices))
    for value, weight in choices:
        if pick < weight:
            return value
        pick -= weight
    return choices[-1][0]
