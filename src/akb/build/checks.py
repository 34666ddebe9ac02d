"""Automatic checks over a benchmark file (``akb build check``).

Item-level problems are errors (the item must be fixed or dropped); release-level
statistics (gold balance, gold-is-longest rate) are reported against thresholds.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from akb.bench.items import LETTERS, Item, normalise_text

BANNED_OPTIONS = re.compile(r"\b(all|none|both|neither) of (the|these|those) (above|options|answers)\b|\ball of the above\b|\bnone of the above\b", re.I)


# Above this share a "pick the longest option" heuristic beats chance (25%) by a lot.
MAX_GOLD_LONGEST = 0.35


@dataclass(frozen=True)
class Problem:
    item_id: str
    check: str
    message: str


# Accidentals are not word characters but change the question (B major vs B♭ major).
_ACCIDENTALS = str.maketrans({"♯": " sharp ", "♭": " flat ", "♮": " natural "})


def _norm_q(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s]", " ", text.translate(_ACCIDENTALS).lower())).strip()


def near_duplicates(items: Sequence[Item], threshold: float = 0.85) -> list[tuple[str, str, float]]:
    """Pairs of items that ask the same thing: same normalised question, or a question
    similarity >= threshold together with the same key text. Template siblings (same
    wording, another word or number) differ in their options and are not duplicates."""
    out: list[tuple[str, str, float]] = []
    by_text: dict[str, str] = {}
    for it in items:
        key = _norm_q(it.question)
        if key in by_text:
            out.append((by_text[key], it.id, 1.0))
        else:
            by_text[key] = it.id
    # Candidate pairs share a rare-ish word; compare those with difflib.
    words: dict[str, list[int]] = defaultdict(list)
    normed = [_norm_q(i.question) for i in items]
    for idx, text in enumerate(normed):
        for w in set(text.split()):
            if len(w) > 3:
                words[w].append(idx)
    seen: set[tuple[int, int]] = set()
    for posting in words.values():
        if len(posting) > 60:  # too common to point at a duplicate
            continue
        for a_i, a in enumerate(posting):
            for b in posting[a_i + 1 :]:
                if (a, b) in seen:
                    continue
                seen.add((a, b))
                ia, ib = items[a], items[b]
                if normed[a] == normed[b]:
                    continue
                if (ia.provenance.method == ib.provenance.method == "procedural"
                        and ia.provenance.generator == ib.provenance.generator):
                    continue  # template siblings: only an identical question is a duplicate
                same_key = normalise_text(ia.answer_text) == normalise_text(ib.answer_text)
                shared = len({normalise_text(c) for c in ia.choices} & {normalise_text(c) for c in ib.choices})
                if not same_key and shared < 2:
                    continue
                r = SequenceMatcher(None, normed[a], normed[b]).ratio()
                if r >= threshold:
                    out.append((ia.id, ib.id, round(r, 3)))
    return out


def check_items(items: Sequence[Item], *, recompute: bool = True) -> list[Problem]:
    problems: list[Problem] = []
    for it in items:
        for c in it.choices:
            if BANNED_OPTIONS.search(c):
                problems.append(Problem(it.id, "banned-option", f"option {c!r} is an all/none-of-the-above form"))
        if it.provenance.method != "procedural" and not it.rationale.strip():
            problems.append(Problem(it.id, "rationale", "knowledge item without a rationale"))
        if it.provenance.method == "procedural" and recompute:
            from akb.build.procedural import recompute_answer

            gen = it.provenance.generator
            try:
                key = recompute_answer(gen or "?", it.provenance.params or {})
            except Exception as e:  # noqa: BLE001 - any failure to recompute is a problem
                problems.append(Problem(it.id, "recompute", f"key could not be recomputed: {e}"))
            else:
                if normalise_text(key) != normalise_text(it.answer_text):
                    problems.append(Problem(it.id, "recompute", f"recomputed key {key!r} != stored {it.answer_text!r}"))
    for a, b, r in near_duplicates(items):
        problems.append(Problem(b, "near-duplicate", f"asks the same as {a} (similarity {r})"))
    for cat, st in release_stats(items).items():
        assert isinstance(st, dict)
        if st["gold_spread"] > 1:
            problems.append(Problem(cat, "gold-balance", f"gold letters {st['gold_letters']} differ by more than one"))
        if st["items"] >= 20 and st["gold_longest_rate"] > MAX_GOLD_LONGEST:
            problems.append(Problem(cat, "gold-longest", f"the key is the strictly longest option in {st['gold_longest_rate']:.0%} of items"))
    return problems


def release_stats(items: Sequence[Item]) -> dict[str, object]:
    """Per category: gold-letter counts and spread, gold-is-strictly-longest rate."""
    out: dict[str, object] = {}
    by_cat: dict[str, list[Item]] = defaultdict(list)
    for it in items:
        by_cat[it.category].append(it)
    for cat, its in sorted(by_cat.items()):
        letters: Counter[str] = Counter(i.answer for i in its)
        counts = [letters.get(L, 0) for L in LETTERS]
        longest = sum(
            len(i.answer_text) > max(len(c) for j, c in enumerate(i.choices) if j != i.answer_index) for i in its
        )
        procedural = sum(i.provenance.method == "procedural" for i in its)
        out[cat] = {
            "items": len(its),
            "gold_letters": dict(zip(LETTERS, counts, strict=True)),
            "gold_spread": max(counts) - min(counts),
            "gold_longest_rate": round(longest / len(its), 3),
            "procedural_share": round(procedural / len(its), 3),
        }
    return out
