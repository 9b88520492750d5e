"""A seeded one-to-one shuffle of 0..space-1, the source of unique identifiers.

Each synthetic person and organisation has a stable index; the permutation turns it into a slot
(birth date, sex, serial for IINs; registration month and serial for BINs). Being a bijection, it
gives distinct numbers without any shared state, so chunks can be generated in separate processes.
A small Feistel network over the next even power of two, with cycle walking back into range.
"""

from __future__ import annotations

import hashlib

_ROUNDS = 4


def derive_key(*parts: object) -> int:
    """A 64-bit integer from any parts, stable across processes and Python versions."""
    text = "\x1f".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big")


class Permutation:
    """A keyed bijection on range(space)."""

    def __init__(self, space: int, key: int) -> None:
        if space < 2:
            raise ValueError("permutation space must hold at least two values")
        bits = (space - 1).bit_length()
        bits += bits & 1
        self.space = space
        self._half = bits // 2
        self._mask = (1 << self._half) - 1
        self._keys = tuple(derive_key("feistel", key, i) & 0xFFFFFFFF for i in range(_ROUNDS))

    def __call__(self, index: int) -> int:
        if not 0 <= index < self.space:
            raise ValueError("index outside the permutation space")
        value = self._scramble(index)
        while value >= self.space:  # cycle walking: at most a few steps, domain < 4 * space
            value = self._scramble(value)
        return value

    def _scramble(self, value: int) -> int:
        half, mask = self._half, self._mask
        left, right = value >> half, value & mask
        for key in self._keys:
            mixed = ((right ^ key) * 0x9E3779B1) & 0xFFFFFFFFFFFF
            left, right = right, left ^ ((mixed >> 13) & mask)
        return (left << half) | right
