"""Assemble a release: merge drafts into the benchmark, give new items stable ids, and set
every item's option order so gold letters are balanced within one per category."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from akb.bench.balance import apply_order, gold_positions, permutation_for
from akb.bench.items import LETTERS, Item


def written_order(item: Item) -> list[str]:
    """The options as written (key first), undoing a recorded permutation."""
    if item.option_order is None:
        return [item.answer_text] + [c for i, c in enumerate(item.choices) if i != item.answer_index]
    written = [""] * len(item.choices)
    for shown, src in enumerate(item.option_order):
        written[src] = item.choices[shown]
    return written


def assign_ids(items: Sequence[Item], existing: Sequence[Item]) -> list[Item]:
    """Ids of the form category.subcategory.NNN, continuing after those already used."""
    used: dict[tuple[str, str], int] = defaultdict(int)
    for it in existing:
        try:
            used[(it.category, it.subcategory)] = max(used[(it.category, it.subcategory)], int(it.id.rsplit(".", 1)[1]))
        except (ValueError, IndexError):
            continue
    out = []
    for it in items:
        k = (it.category, it.subcategory)
        used[k] += 1
        out.append(it.model_copy(update={"id": f"{it.category}.{it.subcategory}.{used[k]:03d}"}))
    return out


def balance(items: Sequence[Item], salt: str = "akb-1") -> list[Item]:
    """Re-order every item's options so that, per category, gold letters differ by at most
    one. Numeric options are shuffled too: sorting them would put the key at a position
    the distractor pattern gives away (the Nyquist key is always second of four)."""
    by_cat: dict[str, list[Item]] = defaultdict(list)
    for it in items:
        by_cat[it.category].append(it)
    out: dict[str, Item] = {}
    for cat_items in by_cat.values():
        positions = gold_positions([it.id for it in cat_items], salt=salt)
        for it in cat_items:
            order = permutation_for(it.id, positions[it.id], salt=salt)
            choices = apply_order(written_order(it), order)
            moved = remap_reviews(it, choices)
            out[it.id] = moved.model_copy(update={"choices": choices, "answer": LETTERS[order.index(0)], "option_order": order})
    return [out[it.id] for it in items]


def remap_reviews(old: Item, new_choices: Sequence[str]) -> Item:
    """Blind answers are letters of the order the reviewer saw; keep them pointing at the
    same option text after a re-order."""
    reviews = []
    for r in old.review.reviews:
        if r.blind_answer is not None:
            text = old.choices[LETTERS.index(r.blind_answer)]
            r = r.model_copy(update={"blind_answer": LETTERS[list(new_choices).index(text)]})
        reviews.append(r)
    return old.model_copy(update={"review": old.review.model_copy(update={"reviews": reviews})})


def merge(
    base: Sequence[Item],
    staged: Sequence[Item],
    *,
    targets: dict[tuple[str, str], int] | None = None,
) -> tuple[list[Item], list[tuple[Item, str]]]:
    """Add staged items to ``base`` in order; skip near-duplicates of anything already in
    and, with ``targets``, items whose subcategory is full. Returns (merged, skipped)."""
    from collections import Counter

    from akb.build.checks import near_duplicates

    accepted = list(base)
    counts = Counter((i.category, i.subcategory) for i in base)
    skipped: list[tuple[Item, str]] = []
    new = assign_ids(staged, base)
    for it in new:
        key = (it.category, it.subcategory)
        if targets is not None and counts[key] >= targets.get(key, 0):
            skipped.append((it, "subcategory full"))
            continue
        dup = near_duplicates([*[a for a in accepted if a.subcategory == it.subcategory], it])
        if any(it.id in pair[:2] for pair in dup):
            skipped.append((it, "near-duplicate"))
            continue
        accepted.append(it)
        counts[key] += 1
    return accepted, skipped
