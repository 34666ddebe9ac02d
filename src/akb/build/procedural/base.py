"""The generator protocol and registry shared by the phonetic and formula generators."""

from __future__ import annotations

import random
from collections.abc import Callable
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


GENERATORS: dict[str, Generator] = {}


def register(gen: Generator) -> Generator:
    if gen.id in GENERATORS:
        raise ValueError(f"duplicate generator {gen.id}")
    GENERATORS[gen.id] = gen
    return gen


def _load_all() -> None:
    # Importing the modules registers their generators.
    from akb.build.procedural import formulas, music, phonetic  # noqa: F401


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
