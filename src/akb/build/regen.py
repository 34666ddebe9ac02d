"""Regenerate the procedural items of a released file under the option-set rule (v0.2):
every distractor gets the sibling question it answers (``meta.siblings``), and the options of
numeric generators - whose v0.1 distractors were built around the key (key/2, 2 x key), which
put the key at an inner rank by design - are drawn again from the generator's pool of
sibling answers with the key's rank spread evenly over the set.

Ids, parameters, questions and keys stay as they were (``akb build check`` recomputes every
key from the parameters); the key keeps its letter, so letter balance and the letters of
earlier blind answers (all of which chose the key) still hold.

v0.3: a generator whose earlier design leaked the key through the options alone (the odd one
out: one word stressed like the reference among three that are not) says so for the recorded
parameters (``Generator.outdated``); those items are drawn again from the current design under
the same id and key letter - new question, options, parameters and siblings, each option the
key of its own sibling question - marked ``meta.revision = {"change": "rewritten", "why": ...}``,
with their status back to draft and their old reviews kept after a note. Items that already
carry siblings and are not outdated stay exactly as they are.
"""

from __future__ import annotations

import random
import zlib
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from akb.bench.items import LETTERS, Item, Review, ReviewRecord
from akb.build.checks import key_rank, normalise_text, numeric_value
from akb.build.procedural.base import (
    GENERATORS,
    Draft,
    Generator,
    _load_all,
    attach_siblings,
    feasible_ranks,
    pick_by_rank,
)
from akb.core.errors import DataError


@dataclass
class RegenReport:
    siblings_only: list[str] = field(default_factory=list)
    options_regenerated: list[str] = field(default_factory=list)
    rewritten: list[str] = field(default_factory=list)  # rebuilt from an outdated generator design
    ranks_before: Counter[int] = field(default_factory=Counter)
    ranks_after: Counter[int] = field(default_factory=Counter)

    def summary(self) -> dict[str, Any]:
        def inner(c: Counter[int]) -> float | None:
            n = sum(c.values())
            return round((c[1] + c[2]) / n, 3) if n else None
        return {"siblings_only": len(self.siblings_only), "options_regenerated": len(self.options_regenerated),
                "rewritten": len(self.rewritten),
                "numeric_key_ranks_before": dict(sorted(self.ranks_before.items())), "inner_rate_before": inner(self.ranks_before),
                "numeric_key_ranks_after": dict(sorted(self.ranks_after.items())), "inner_rate_after": inner(self.ranks_after)}


def _choose_rank(ranks: list[int], counts: Counter[int], salt: str) -> int:
    least = min(counts[r] for r in ranks)
    tied = [r for r in ranks if counts[r] == least]
    return tied[zlib.crc32(salt.encode()) % len(tied)]


def _rebuilt_drafts(gen: Generator, olds: Sequence[Item], salt: str, tries: int = 4000) -> list[Draft]:
    """One new draft per old item of an outdated design: distinct questions, no option word used
    twice in the set, nothing the old items asked, and ``gen.spread`` as even as it can be."""
    taken_q = {normalise_text(i.question) for i in olds}
    used: set[str] = set()
    counts: Counter[Any] = Counter()
    out: list[Draft] = []
    rng = random.Random(f"{salt}:{gen.id}:rebuild")
    for _ in range(tries):
        if len(out) == len(olds):
            break
        d = gen.make(rng)
        if d is None:
            continue
        words = ({c.lower() for c in d.choices if numeric_value(c) is None}  # '2' may be an option of every item
                 | {str(d.params[k]).lower() for k in ("reference", "target", "word") if k in d.params})
        if normalise_text(d.question) in taken_q or used & words:
            continue
        if gen.spread is not None and counts:
            v = gen.spread(d.params)
            if counts[v] > min(counts.get(k, 0) for k in {*counts, v}):
                continue
        d = attach_siblings(gen, d)
        if d is None or len({c.strip().lower() for c in d.choices}) != 4:
            continue
        try:
            if normalise_text(gen.recompute(d.params)) != normalise_text(d.choices[0]):
                continue
        except ValueError:
            continue
        taken_q.add(normalise_text(d.question))
        used |= words
        if gen.spread is not None:
            counts[gen.spread(d.params)] += 1
        out.append(d)
    if len(out) < len(olds):
        raise DataError(f"{gen.id}: only {len(out)} of {len(olds)} items could be rebuilt")
    return out


def _rebuilt_item(it: Item, d: Draft, why: str, at: datetime, version: str, salt: str) -> Item:
    """The old item's id, category and key letter with the new draft's text; back to draft."""
    slots = [j for j in range(4) if j != it.answer_index]
    random.Random(f"{salt}:{it.id}").shuffle(slots)
    choices = [""] * 4
    choices[it.answer_index] = d.choices[0]
    for j, c in zip(slots, d.choices[1:], strict=True):
        choices[j] = c
    meta = {k: v for k, v in it.meta.items() if k not in ("siblings", "v02", "revision")}
    meta["siblings"] = d.meta["siblings"]
    meta["revision"] = {"change": "rewritten", "why": why}
    note = Review(reviewer="akb build regen-procedural", kind="auto", at=at, verdict="edit",
                  note=f"rewritten for v{version} ({why}); the reviews above concern the earlier text, status reset to draft "
                       "until it is reviewed again (blind and options-only)")
    check = Review(reviewer="akb build check: key recomputed from parameters", kind="auto", at=at, verdict="accept")
    review = ReviewRecord(status="draft", reviews=[*it.review.reviews, note, check])
    prov = it.provenance.model_copy(update={"params": d.params, "created": at, "generator": d.generator, "source": d.source})
    return it.model_copy(update={"question": d.question, "choices": choices, "option_order": [d.choices.index(c) for c in choices],
                                 "rationale": d.rationale, "provenance": prov, "meta": meta, "review": review})


def regenerate_procedural(items: Sequence[Item], *, at: datetime | None = None, salt: str = "akb-v0.2",
                          version: str = "0.3") -> tuple[list[Item], RegenReport]:
    """Every item back; procedural ones with siblings (and, for numeric generators, new options);
    items of a generator design that leaks the key through its options (``Generator.outdated``)
    rebuilt under the same id and key letter; items that already carry siblings otherwise left as
    they are."""
    _load_all()
    at = at or datetime.now(timezone.utc).replace(microsecond=0)
    rep = RegenReport()
    out: list[Item] = []
    rebuild: dict[str, list[tuple[Item, str]]] = defaultdict(list)
    for it in sorted(items, key=lambda i: i.id):
        gen = GENERATORS.get(it.provenance.generator or "") if it.provenance.method == "procedural" else None
        why = gen.outdated(it.provenance.params or {}) if gen is not None and gen.outdated is not None else None
        if gen is not None and why:
            rebuild[gen.rebuild_with or gen.id].append((it, why))
    for gid, olds in rebuild.items():
        drafts = _rebuilt_drafts(GENERATORS[gid], [i for i, _ in olds], salt)
        for (it, why), d in zip(olds, drafts, strict=True):
            out.append(_rebuilt_item(it, d, why, at, version, salt))
            rep.rewritten.append(it.id)
    done = {i.id for i in out}
    for it in sorted(items, key=lambda i: i.id):
        if it.id in done:
            continue
        if it.provenance.method != "procedural" or isinstance(it.meta.get("siblings"), list):
            out.append(it)
            continue
        gen = GENERATORS.get(it.provenance.generator or "")
        if gen is None:
            raise DataError(f"{it.id}: unknown generator {it.provenance.generator!r}")
        params = it.provenance.params or {}
        key = gen.recompute(params)
        if normalise_text(key) != normalise_text(it.answer_text):
            raise DataError(f"{it.id}: recomputed key {key!r} != stored {it.answer_text!r}")
        before = key_rank(it)
        if before is not None:
            rep.ranks_before[before] += 1
        pool = gen.pool(params) if gen.pool is not None else None
        ranks = feasible_ranks(key, pool) if pool else []
        meta = dict(it.meta)
        if ranks and pool is not None:
            rank = _choose_rank(ranks, rep.ranks_after, it.id)
            picked = pick_by_rank(key, pool, rank)
            assert picked is not None
            written = [it.answer_text, *(t for t, _ in picked)]
            slots = [j for j in range(4) if j != it.answer_index]
            random.Random(f"{salt}:{it.id}").shuffle(slots)
            choices = [""] * 4
            choices[it.answer_index] = it.answer_text
            for j, d in zip(slots, written[1:], strict=True):
                choices[j] = d
            order = [written.index(c) for c in choices]
            meta["siblings"] = [{"option": t, "question": q} for t, q in picked]
            meta["v02"] = {"change": "rewritten", "why": "numeric distractors regenerated: each the answer to a sibling "
                                                          "question, the key's rank spread evenly (v0.1 built them around the key)"}
            edit = Review(reviewer="akb build regen-procedural", kind="auto", at=at, verdict="edit",
                          note="options regenerated for v0.2 (siblings, key rank spread); the reviews above saw the v0.1 options")
            check = Review(reviewer="akb build check: key recomputed from parameters", kind="auto", at=at, verdict="accept")
            status = "auto-checked" if it.review.status in ("draft", "auto-checked", "model-reviewed") else it.review.status
            review = it.review.model_copy(update={"status": status, "reviews": [*it.review.reviews, edit, check]})
            new = it.model_copy(update={"choices": choices, "option_order": order, "meta": meta, "review": review})
            rep.options_regenerated.append(it.id)
        else:
            draft = Draft(category=it.category, subcategory=it.subcategory, question=it.question,
                      choices=[it.answer_text, *(c for j, c in enumerate(it.choices) if j != it.answer_index)],
                      rationale=it.rationale, generator=gen.id, params=params, source=it.provenance.source or "")
            if attach_siblings(gen, draft) is None:
                raise DataError(f"{it.id}: no sibling question for some distractor of {gen.id}")
            meta["siblings"] = draft.meta["siblings"]
            meta["v02"] = {"change": "siblings", "why": "computed sibling questions added; options unchanged"}
            new = it.model_copy(update={"meta": meta})
            rep.siblings_only.append(it.id)
        after = key_rank(new)
        if after is not None:
            rep.ranks_after[after] += 1
        out.append(new)
    position = {i.id: k for k, i in enumerate(items)}
    out.sort(key=lambda i: position[i.id])
    for i in out:
        assert i.answer in LETTERS
    return out, rep
