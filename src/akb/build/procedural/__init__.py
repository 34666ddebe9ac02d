"""Procedural item generators: questions whose keys are computed, not written.

Each generator is deterministic for a seed and records its parameters in the item's
provenance, and each can recompute its key from those parameters alone
(:func:`recompute_answer`), which ``akb build check`` does for every procedural item.
"""

from __future__ import annotations

from akb.build.procedural.base import GENERATORS, Draft, Generator, generate, recompute_answer

__all__ = ["GENERATORS", "Draft", "Generator", "generate", "recompute_answer"]
