"""Deterministic option order with exactly balanced gold letters.

Authored options are written key-first. Each item's gold position is assigned round-robin
over the items ordered by a hash of their id, so across any release the gold letters differ
by at most one; distractors are ordered by a hash of the id too. Nothing depends on an
unseeded RNG, and the permutation is recorded in the item (``option_order``).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence

from akb.bench.items import LETTERS


def _h(text: str) -> int:
    return int(hashlib.sha256(text.encode("utf-8")).hexdigest(), 16)


def gold_positions(ids: Sequence[str], salt: str = "akb") -> dict[str, int]:
    """Gold position per id: round-robin over ids sorted by hash, so counts differ by <= 1."""
    order = sorted(ids, key=lambda i: _h(f"{salt}:{i}"))
    return {item_id: n % len(LETTERS) for n, item_id in enumerate(order)}


def permutation_for(item_id: str, gold_position: int, n: int = 4, salt: str = "akb") -> list[int]:
    """option_order such that written option 0 (the key) lands at ``gold_position``."""
    distractors = list(range(1, n))
    random.Random(_h(f"{salt}:perm:{item_id}")).shuffle(distractors)
    order = distractors[:gold_position] + [0] + distractors[gold_position:]
    return order


def apply_order(written: Sequence[str], order: Sequence[int]) -> list[str]:
    return [written[k] for k in order]
