"""Merge a revision round into the benchmark (``akb build merge-revisions``), e.g. v0.1 -> v0.2.

Inputs: the shipped file, the writers' revision files (every item of their share, in input
order; ``meta.revision.change`` = ``siblings`` | ``rewritten`` | ``replaced``, with ``why``;
files of the v0.2 round say ``meta.v02`` instead, which is still read; a replacement
carries the id it replaces and ``meta.replaces``) and the regenerated procedural items
(:mod:`akb.build.regen`). Output: the new file and a changelog entry.

- An unchanged item (``siblings``) keeps its id, text and review record; it gains its siblings.
- A rewritten item keeps its id; its status goes back to ``draft`` (it needs a new blind and
  options-only review) and its old reviews stay, after a note that they concern the old text.
- A replacement gets a new id, the next free number in its subcategory (numbers of retired
  items are never reused); the old id is retired and listed in the changelog with the reason.
- Procedural items come from the regeneration: same ids, keys recomputed from parameters. One
  whose generator design changed (``meta.revision.change = "rewritten"``: new question, options
  and parameters, same generator and key letter) is merged as rewritten: back to draft, its old
  reviews kept after the note, listed in the changelog with the reason.
- A row without ``meta.v02`` (a writer did not reach it) leaves the shipped item as it was.
Category and subcategory totals stay exact (one replacement per retired item, same
subcategory) and the key keeps its letter, so letter balance holds; both are verified.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from akb.bench.items import LETTERS, Item, Review, ReviewRecord
from akb.build.checks import release_stats, sibling_problems
from akb.build.procedural.base import all_generators
from akb.core.errors import DataError
from akb.core.jsonl import iter_jsonl

MERGER = "akb build merge-revisions"
CHANGES = ("siblings", "rewritten", "replaced", "rationale")


@dataclass
class MergeResult:
    items: list[Item]
    changelog: dict[str, Any]
    problems: list[str] = field(default_factory=list)  # non-fatal: reported, for the writers to fix


def read_revisions(paths: Iterable[str | Path]) -> list[tuple[str, int, dict[str, Any]]]:
    """(file, line, record) for every row of the writers' files, in order."""
    rows = []
    for p in sorted(Path(x) for x in paths):
        for lineno, rec in iter_jsonl(p):
            rows.append((str(p), lineno, rec))
    return rows


def _number(item_id: str) -> int | None:
    m = re.search(r"\.(\d+)$", item_id)
    return int(m.group(1)) if m else None


def _written_order(choices: Sequence[str], answer: str) -> list[int]:
    """option_order for options written key first, the distractors in their shown order."""
    k = LETTERS.index(answer)
    written = [choices[k], *(c for j, c in enumerate(choices) if j != k)]
    return [written.index(c) for c in choices]


def revision_of(meta: dict[str, Any] | None) -> dict[str, Any] | None:
    """The row's revision marker: ``meta.revision`` (v0.3 on), else the v0.2 round's ``meta.v02``."""
    meta = meta or {}
    v = meta.get("revision") or meta.get("v02")
    return v if isinstance(v, dict) else None


def _note(at: datetime, text: str) -> Review:
    return Review(reviewer=MERGER, kind="auto", at=at, verdict="edit", note=text)


def merge_revisions(
    base: Sequence[Item],
    revisions: Sequence[tuple[str, int, dict[str, Any]]],
    procedural: Sequence[Item] | None,
    *,
    version: str,
    at: datetime | None = None,
    totals: dict[str, int] | None = None,
) -> MergeResult:
    at = at or datetime.now(timezone.utc).replace(microsecond=0)
    by_id = {i.id: i for i in base}
    problems: list[str] = []
    used: dict[tuple[str, str], int] = defaultdict(int)
    for it in base:
        n = _number(it.id)
        if n is not None:
            used[(it.category, it.subcategory)] = max(used[(it.category, it.subcategory)], n)
    out: dict[str, Item] = dict(by_id)
    changed: list[dict[str, Any]] = []
    retired: list[dict[str, Any]] = []
    seen: set[str] = set()
    unrevised: list[str] = []
    counts: Counter[str] = Counter()

    for path, line, rec in revisions:
        where = f"{Path(path).name}:{line}"
        rid = rec.get("id")
        if rid not in by_id:
            raise DataError(f"{where}: id {rid!r} is not in the base file")
        if rid in seen:
            raise DataError(f"{where}: {rid} appears twice in the revision files")
        seen.add(rid)
        old = by_id[rid]
        v = revision_of(rec.get("meta"))
        if v and v.get("change") == "rationale":
            # A corrected rationale, procedural items included: the text and its reviews stand.
            if (rec.get("question"), rec.get("choices"), rec.get("answer")) != (old.question, old.choices, old.answer):
                raise DataError(f"{where}: {rid} is marked 'rationale' but its question, options or key changed")
            if not str(rec.get("rationale") or "").strip():
                raise DataError(f"{where}: {rid} is marked 'rationale' but has none")
            counts["rationale"] += 1
            meta = {**old.meta, "revision": v}
            if isinstance((rec.get("meta") or {}).get("siblings"), list):  # a sibling question reworded with it
                meta["siblings"] = rec["meta"]["siblings"]
            out[rid] = old.model_copy(update={"rationale": rec["rationale"], "meta": meta})
            for why in sibling_problems(out[rid]):
                problems.append(f"{rid}: siblings: {why}")
            changed.append({"id": rid, "change": "rationale", "why": str(v.get("why") or "")})
            continue
        if old.provenance.method == "procedural" or (rec.get("provenance") or {}).get("method") == "procedural":
            continue  # procedural items come from the regeneration
        if not v:
            unrevised.append(rid)
            continue
        change = v.get("change")
        if change not in CHANGES:
            raise DataError(f"{where}: meta.revision.change must be one of {', '.join(CHANGES)}, got {change!r}")
        try:
            new = Item.model_validate(rec)
        except ValidationError as e:
            raise DataError(f"{where}: {rid}: {e.errors()[0]['loc']}: {e.errors()[0]['msg']}") from None
        if (new.category, new.subcategory) != (old.category, old.subcategory):
            raise DataError(f"{where}: {rid} moved from {old.category}/{old.subcategory} to {new.category}/{new.subcategory}")
        if new.answer != old.answer:
            problems.append(f"{rid}: the key moved from {old.answer} to {new.answer} (letter balance may suffer)")
        for why in sibling_problems(new):
            problems.append(f"{rid}: siblings: {why}")
        counts[change] += 1
        why = str(v.get("why") or "")
        text_changed = (new.question, new.choices, new.answer) != (old.question, old.choices, old.answer)
        if change == "siblings":
            if text_changed:
                problems.append(f"{rid}: marked 'siblings' but its text changed; merged as rewritten")
                change = "rewritten"
            else:
                meta = {**old.meta, "siblings": new.meta["siblings"], "revision" if "revision" in new.meta else "v02": v}
                for k in ("difficulty",):
                    if k in new.meta:
                        meta[k] = new.meta[k]
                # The text and its reviews stand; a clarified rationale is taken over.
                out[rid] = old.model_copy(update={"meta": meta, "rationale": new.rationale or old.rationale})
                continue
        if change == "rewritten":
            review = ReviewRecord(status="draft", reviews=[*old.review.reviews, _note(
                at, f"rewritten for v{version} ({why or 'option-set rule'}); the reviews above concern the earlier text, "
                    "status reset to draft until it is reviewed again (blind and options-only)")])
            out[rid] = new.model_copy(update={"review": review, "option_order": _written_order(new.choices, new.answer)})
            changed.append({"id": rid, "change": "rewritten", "why": why})
            continue
        # replaced: a new item with the next free number of its subcategory; the old id retires.
        key = (new.category, new.subcategory)
        used[key] += 1
        new_id = f"{new.category}.{new.subcategory}.{used[key]:03d}"
        meta = {**new.meta, "replaces": rid}
        review = ReviewRecord(status="draft", reviews=[_note(
            at, f"new in v{version}, replaces {rid} (retired: {why or 'replaced'}); {rid}'s reviews stay with the earlier releases")])
        del out[rid]
        out[new_id] = new.model_copy(update={"id": new_id, "meta": meta, "review": review,
                                             "option_order": _written_order(new.choices, new.answer)})
        retired.append({"id": rid, "replaced_by": new_id, "why": why})
        changed.append({"id": new_id, "change": "added", "replaces": rid, "why": why})

    regen_ids: dict[str, list[str]] = {"options_regenerated": [], "siblings_only": [], "rewritten": []}
    if procedural is not None:
        generators = all_generators()
        for it in procedural:
            if it.provenance.method != "procedural":
                continue
            if it.id not in by_id or by_id[it.id].provenance.method != "procedural":
                raise DataError(f"regenerated procedural item {it.id} is not a procedural item of the base file")
            old = by_id[it.id]
            if it == old:
                continue  # already as shipped
            v = revision_of(it.meta) or {}
            why = str(v.get("why") or "")
            if (it.question, it.provenance.params) != (old.question, old.provenance.params) or it.answer_text != old.answer_text:
                # a new design of its generator (or of the generator that replaces it): same category,
                # subcategory and key letter, new text
                if v.get("change") != "rewritten":
                    raise DataError(f"regenerated {it.id} changed its question, key or parameters without "
                                    "meta.revision.change = 'rewritten'")
                old_gen = generators.get(old.provenance.generator or "")
                allowed = {old.provenance.generator, old_gen.rebuild_with if old_gen else None}
                if it.provenance.generator not in allowed or (it.category, it.subcategory) != (old.category, old.subcategory):
                    raise DataError(f"regenerated {it.id} changed its subcategory, or its generator to one that does not "
                                    "replace the old one")
                if it.answer != old.answer:
                    raise DataError(f"regenerated {it.id} moved its key from {old.answer} to {it.answer} (letter balance)")
                for w in sibling_problems(it):
                    problems.append(f"{it.id}: siblings: {w}")
                if it.review.status != "draft" or it.review.reviews[:len(old.review.reviews)] != old.review.reviews:
                    it = it.model_copy(update={"review": ReviewRecord(status="draft", reviews=[*old.review.reviews, _note(
                        at, f"rewritten for v{version} ({why or 'new generator design'}); the reviews above concern the earlier "
                            "text, status reset to draft until it is reviewed again (blind and options-only)")])})
                out[it.id] = it
                regen_ids["rewritten"].append(it.id)
                changed.append({"id": it.id, "change": "rewritten", "why": why})
                continue
            out[it.id] = it
            if v.get("change") == "rewritten":
                regen_ids["options_regenerated"].append(it.id)
                changed.append({"id": it.id, "change": "options regenerated", "why": why})
            elif "siblings" not in old.meta:
                regen_ids["siblings_only"].append(it.id)

    items = sorted(out.values(), key=lambda i: i.id)
    # Totals and balance.
    before = Counter(i.category for i in base)
    after = Counter(i.category for i in items)
    if before != after:
        raise DataError(f"category totals changed: {dict(before)} -> {dict(after)}")
    if totals:
        off = {c: (after.get(c, 0), n) for c, n in totals.items() if after.get(c, 0) != n}
        if off:
            problems.append(f"categories off their taxonomy totals: {off}")
    subs = Counter((i.category, i.subcategory) for i in items)
    small = sorted(f"{c}/{s} {n}" for (c, s), n in subs.items() if n < 15)
    if small:
        problems.append(f"subcategories under 15 items: {', '.join(small)}")
    for cat, st in release_stats(items).items():
        assert isinstance(st, dict)
        if st["gold_spread"] > 1:
            problems.append(f"{cat}: gold letters {st['gold_letters']} differ by more than one")
    # Items no revision file mentions count as not revised only when there were revision files
    # (a round of procedural rebuilds alone, like v0.3's, leaves the written items as they are).
    missing = sorted(i for i in by_id if i not in seen and by_id[i].provenance.method != "procedural") if revisions else []
    entry = {
        "version": version,
        "date": at.isoformat().replace("+00:00", "Z"),
        "summary": {
            "items": len(items),
            "unchanged_with_siblings": counts["siblings"],
            "rewritten": sum(1 for c in changed if c["change"] == "rewritten") - len(regen_ids["rewritten"]),
            "replaced": len(retired),
            "procedural_rewritten": len(regen_ids["rewritten"]),
            "procedural_options_regenerated": len(regen_ids["options_regenerated"]),
            "procedural_siblings_added": len(regen_ids["siblings_only"]),
            "rationale_corrected": counts["rationale"],
            "not_revised": len(unrevised) + len(missing),
        },
        "changed": sorted(changed, key=lambda c: c["id"]),
        "retired": sorted(retired, key=lambda r: r["id"]),
        "not_revised": sorted(unrevised + missing),
    }
    return MergeResult(items=items, changelog=entry, problems=problems)


def changelog_markdown(entries: Sequence[dict[str, Any]]) -> str:
    """The changelog as Markdown (newest first): counts, retired ids and why, changed ids."""
    L = ["# AKB-2000 changelog", ""]
    for e in sorted(entries, key=lambda e: str(e.get("version")), reverse=True):
        s = e.get("summary", {})
        L += [f"## v{e['version']} ({str(e.get('date', ''))[:10]})", ""]
        L += [f"- {k.replace('_', ' ')}: {v}" for k, v in s.items()]
        for a in e.get("amendments", []):
            counts = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in a.get("summary", {}).items() if v and k != "items")
            L.append(f"- amended {str(a.get('date', ''))[:10]}: {counts or 'no changes'}")
        retired = e.get("retired", [])
        if retired:
            L += ["", f"### Retired ({len(retired)})", "", "| retired id | replaced by | why |", "|---|---|---|"]
            L += [f"| {r['id']} | {r['replaced_by']} | {_cell(r.get('why', ''))} |" for r in retired]
        changed = [c for c in e.get("changed", []) if c["change"] != "added"]
        if changed:
            L += ["", f"### Changed ({len(changed)}; ids kept)", "", "| id | change | why |", "|---|---|---|"]
            L += [f"| {c['id']} | {c['change']} | {_cell(c.get('why', ''))} |" for c in changed]
        L.append("")
    return "\n".join(L)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


_COUNTED = ("unchanged_with_siblings", "rewritten", "replaced", "procedural_rewritten", "procedural_options_regenerated",
            "procedural_siblings_added", "rationale_corrected")


def _counted_as(rec: dict[str, Any], procedural: set[str]) -> str:
    """The summary count a changelog row of ``changed`` falls under."""
    if rec["change"] == "added":
        return "replaced"
    if rec["change"] == "options regenerated":
        return "procedural_options_regenerated"
    if rec["change"] == "rationale":
        return "rationale_corrected"
    return "procedural_rewritten" if rec["id"] in procedural else "rewritten"


def amend_entry(previous: dict[str, Any], entry: dict[str, Any], procedural: set[str]) -> dict[str, Any]:
    """Fold a second merge round of one version into that version's entry: every id changed in
    either round listed once (the later round's row, except that an item added in the earlier
    round stays 'added'), retired ids of both, the counts summed without counting an id twice,
    and the round recorded under ``amendments`` with its own date and summary."""
    rows = {c["id"]: c for c in previous.get("changed", [])}
    summary = {k: int(previous.get("summary", {}).get(k, 0)) + int(entry["summary"].get(k, 0)) for k in _COUNTED}
    for c in entry.get("changed", []):
        old = rows.get(c["id"])
        if old is None:
            rows[c["id"]] = c
            continue
        if old["change"] == "added":
            summary[_counted_as(c, procedural)] -= 1  # still an item new in this version
            continue
        summary[_counted_as(old, procedural)] -= 1
        rows[c["id"]] = {**c, "earlier": old.get("why", "")}
    retired = {r["id"]: r for r in [*previous.get("retired", []), *entry.get("retired", [])]}
    changed_now = {c["id"] for c in entry.get("changed", [])}
    not_revised = sorted(i for i in previous.get("not_revised", []) if i not in changed_now)
    amendments = [*previous.get("amendments", []), {"date": entry["date"], "summary": entry["summary"]}]
    return {**previous, "summary": {"items": entry["summary"].get("items"), **summary, "not_revised": len(not_revised)},
            "changed": sorted(rows.values(), key=lambda c: c["id"]), "retired": sorted(retired.values(), key=lambda r: r["id"]),
            "not_revised": not_revised, "amendments": amendments}


def update_changelog(path: Path, entry: dict[str, Any], *, amend: bool = False,
                     procedural: set[str] | None = None) -> list[dict[str, Any]]:
    """Replace (or add) the entry of ``entry['version']`` in the JSON changelog at ``path``; with
    ``amend``, fold it into the existing entry of that version instead (:func:`amend_entry`;
    ``procedural`` names the procedural item ids, whose rewrites are counted apart)."""
    import json

    entries: list[dict[str, Any]] = json.loads(path.read_text()) if path.exists() else []
    if amend:
        previous = [e for e in entries if e.get("version") == entry["version"]]
        if not previous:
            raise DataError(f"--amend: {path} has no v{entry['version']} entry to amend")
        entry = amend_entry(previous[-1], entry, procedural or set())
    entries = [e for e in entries if e.get("version") != entry["version"]] + [entry]
    return entries
