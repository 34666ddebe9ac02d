"""The generator protocol and registry shared by the phonetic and formula generators.

The option-set rule holds for generated items too: every distractor is the right answer to
a closely related sibling question, recorded in ``meta.siblings``. A generator says how to
find the sibling question of a distractor (``siblings``); a numeric generator also offers a
``pool`` of candidate distractors - each the right answer to a sibling question (the same
question with one quantity misread, or a related quantity) - from which
:func:`numeric_choices` picks three so that the key lands at a chosen rank of the sorted
values (each rank equally likely), never with two distractors spread symmetrically around it.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from akb.core.errors import ConfigError


@dataclass
class Draft:
    """A generated question; ``choices[0]`` is the key (the order is balanced later)."""

    category: str
    subcategory: str
    question: str
    choices: list[str]
    rationale: str
    generator: str
    params: dict[str, Any]
    source: str
    difficulty: str = "medium"
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Generator:
    id: str
    category: str
    subcategory: str
    source: str
    make: Callable[[random.Random], Draft | None]
    recompute: Callable[[dict[str, Any]], str]
    # (params, distractor text) -> the sibling question that distractor answers (raises if none)
    siblings: Callable[[dict[str, Any], str], str] | None = None
    # params -> candidate distractors [(option text, sibling question)], most plausible first
    pool: Callable[[dict[str, Any]], list[tuple[str, str]]] | None = None
    # params -> why an item made by an earlier design of this generator must be rebuilt (its
    # options leak the key), or None; regeneration then draws a new item for the same id
    outdated: Callable[[dict[str, Any]], str | None] | None = None
    # params -> what regeneration spreads evenly over a rebuilt set (the asked stress position)
    spread: Callable[[dict[str, Any]], Any] | None = None
    # the generator whose design replaces this one: outdated items are drawn from it (same
    # subcategory) when a question form, not only its options, had to change
    rebuild_with: str | None = None


GENERATORS: dict[str, Generator] = {}
Candidate = tuple[str, str]  # (option text, the sibling question it is the right answer to)


def _norm(text: str) -> str:
    return " ".join(text.split()).lower()


def sibling_from_pool(pool: Callable[[dict[str, Any]], list[Candidate]]) -> Callable[[dict[str, Any], str], str]:
    """A ``siblings`` function that looks a distractor up in the generator's candidate pool."""
    def find(params: dict[str, Any], text: str) -> str:
        for t, q in pool(params):
            if _norm(t) == _norm(text):
                return q
        raise ValueError(f"no sibling question for the distractor {text!r}")
    return find


def _value(text: str) -> float | None:
    from akb.build.checks import numeric_value

    v = numeric_value(text)
    return None if v is None else v[0]


def _symmetric(key: float, chosen: Sequence[float]) -> bool:
    """Two distractors spread around the key by the same factor (key/2 and 2 x key) or the
    same step (key - d and key + d): the middle value gives itself away."""
    below = [v for v in chosen if v < key]
    above = [v for v in chosen if v > key]
    for a in below:
        for b in above:
            if math.isclose(key - a, b - key, rel_tol=1e-6):
                return True
            if a > 0 and key > 0 and abs(math.log(a) + math.log(b) - 2 * math.log(key)) < 0.02:
                return True
    return False


def feasible_ranks(key: str, pool: Sequence[Candidate]) -> list[int]:
    kv = _value(key)
    if kv is None:
        return []
    vals = {_norm(t): _value(t) for t, _ in pool if _norm(t) != _norm(key)}
    below = sum(1 for v in vals.values() if v is not None and v < kv)
    above = sum(1 for v in vals.values() if v is not None and v > kv)
    return [r for r in range(4) if r <= below and 3 - r <= above]


def pick_by_rank(key: str, pool: Sequence[Candidate], rank: int) -> list[Candidate] | None:
    """Three candidates that put ``key`` at ``rank`` (0 = smallest) of the four sorted values,
    taken in pool order (most plausible first), avoiding a symmetric spread where possible."""
    kv = _value(key)
    if kv is None:
        return None
    seen = {_norm(key)}
    below: list[tuple[Candidate, float]] = []
    above: list[tuple[Candidate, float]] = []
    values = {kv}
    for t, q in pool:
        v = _value(t)
        if v is None or _norm(t) in seen or v in values:
            continue
        seen.add(_norm(t))
        values.add(v)
        (below if v < kv else above).append(((t, q), v))
    if rank > len(below) or 3 - rank > len(above):
        return None
    first: list[Candidate] | None = None
    for lo in itertools.combinations(below[:8], rank):
        for hi in itertools.combinations(above[:8], 3 - rank):
            chosen = [*lo, *hi]
            cands = [c for c, _ in chosen]
            if first is None:
                first = cands
            if not _symmetric(kv, [v for _, v in chosen]):
                return cands
    return first


def numeric_choices(rng: random.Random, key: str, pool: Sequence[Candidate], rank: int | None = None) -> tuple[list[str], list[dict[str, str]]] | None:
    """``[key, d1, d2, d3]`` and their siblings, the key at ``rank`` (default: a random rank
    among those the pool allows, each equally likely)."""
    ranks = feasible_ranks(key, pool)
    if not ranks:
        return None
    if rank is None or rank not in ranks:
        want = rng.randrange(4) if rank is None else rank
        rank = min(ranks, key=lambda r: (abs(r - want), r))
    picked = pick_by_rank(key, pool, rank)
    if picked is None:
        return None
    return [key, *(t for t, _ in picked)], [{"option": t, "question": q} for t, q in picked]


def attach_siblings(gen: Generator, d: Draft) -> Draft | None:
    """Fill ``d.meta['siblings']`` from the generator; None if a distractor has no sibling."""
    if isinstance(d.meta.get("siblings"), list):
        return d
    if gen.siblings is None:
        return None
    try:
        sib = [{"option": c, "question": gen.siblings(d.params, c)} for c in d.choices[1:]]
    except (ValueError, KeyError):
        return None
    if len({_norm(s["question"]) for s in sib}) != 3:
        return None
    d.meta["siblings"] = sib
    return d


def register(gen: Generator) -> Generator:
    if gen.id in GENERATORS:
        raise ValueError(f"duplicate generator {gen.id}")
    GENERATORS[gen.id] = gen
    return gen


def _load_all() -> None:
    # Importing the modules registers their generators.
    from akb.build.procedural import formulas, music, phonetic, phonology, standards  # noqa: F401


def generate(generator_id: str, n: int, seed: int = 0, max_tries: int = 50) -> list[Draft]:
    """``n`` distinct drafts from one generator, deterministic for ``seed``."""
    _load_all()
    if generator_id not in GENERATORS:
        raise ConfigError(f"unknown generator {generator_id!r}; known: {', '.join(sorted(GENERATORS))}")
    gen = GENERATORS[generator_id]
    rng = random.Random(f"{generator_id}:{seed}")
    out: list[Draft] = []
    seen: set[str] = set()
    tries = 0
    while len(out) < n and tries < n * max_tries:
        tries += 1
        d = gen.make(rng)
        if d is None or d.question in seen:
            continue
        d = attach_siblings(gen, d)
        if d is None:
            continue
        if len({c.strip().lower() for c in d.choices}) != 4:
            continue
        seen.add(d.question)
        out.append(d)
    return out


def recompute_answer(generator_id: str, params: dict[str, Any]) -> str:
    """The key's text, recomputed from the recorded parameters only."""
    _load_all()
    if generator_id not in GENERATORS:
        raise ConfigError(f"unknown generator {generator_id!r}")
    return GENERATORS[generator_id].recompute(params)


def all_generators() -> dict[str, Generator]:
    _load_all()
    return dict(GENERATORS)
