"""The fixed few-shot pool: solved examples shown before a question (``--num-fewshot K``).

The pool (``akb/data/fewshot.jsonl``) is six short items written for this purpose, one per
category, kept outside AKB-2000 (ids ``fewshot.*``, no test question repeated or
paraphrased, no fact a test item asks about). ``K`` shots are always the *first* K of the
pool, in file order (keys A, B, C, D, A, B), the same for every question: lm-eval's
``first_n`` sampler over the exported ``fewshot`` split gives the same examples.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from akb.bench.items import Item
from akb.core.errors import ConfigError
from akb.core.paths import data_path

FEWSHOT_FILE = "fewshot.jsonl"


@lru_cache(maxsize=1)
def fewshot_pool() -> tuple[Item, ...]:
    from akb.bench.loader import load_items

    return tuple(load_items(data_path(FEWSHOT_FILE)))


def fewshot_items(k: int, test_items: Sequence[Item] = ()) -> list[Item]:
    """The first ``k`` pool items; refuses a pool item that is also a test item."""
    pool = fewshot_pool()
    if k < 0 or k > len(pool):
        raise ConfigError(f"--num-fewshot must be between 0 and {len(pool)} (the size of the few-shot pool)")
    shots = list(pool[:k])
    if shots and test_items:
        ids = {i.id for i in test_items}
        questions = {i.question.strip().lower() for i in test_items}
        clash = [s.id for s in shots if s.id in ids or s.question.strip().lower() in questions]
        if clash:
            raise ConfigError(f"few-shot example(s) {', '.join(clash)} are also test items")
    return shots


def shots_for(k: int, test_items: Sequence[Item] = ()) -> list[tuple[str, list[str], str]]:
    """``(question, choices, answer)`` of the first ``k`` examples, as build_messages takes them."""
    return [(s.question, list(s.choices), s.answer) for s in fewshot_items(k, test_items)]
