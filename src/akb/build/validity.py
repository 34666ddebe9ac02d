"""Validity figures of a benchmark file (``akb build validity``), stored as package data
(``akb/data/validity.json``), written into the dataset card's "Validity" section and shown
by ``akb bench stats``.

Measured from the items themselves and from the review answers recorded in them:

- options-only accuracy: reviews of mode ``options-only`` (the reviewer saw the four options,
  not the question); overall, per category, with n, dates and who answered;
- key checks: blind reviews of every item (mode ``blind``, or v0.1 model/human reviews with a
  blind answer), made to verify the key, free to deliberate: how often the reviewers agree
  with the key, and the disagreements. Not the difficulty target;
- difficulty: exam answers (mode ``exam``) on a stratified sample, the issue's "blind
  strong-LLM accuracy" (88-97% on 300 or more sampled items), with every miss and its
  adjudication (mode ``adjudication``): the target is met only when every miss is adjudicated
  (the key stands) and none waits for a fix;
- trivial or clued items: trivia judgements (mode ``trivia``) on the sample, <= 2%;
- numeric key at an inner rank, key uniquely longest, letter balance, subcategory sizes, totals;
- the embedding and options-only embedding baselines per category (``akb bench release``'s
  baselines, when given).

A review counts only if it was made after the item's text last changed (a merge note of
verdict ``edit``): answers to an earlier text say nothing about the current one. Each figure
is checked against the issue-14 targets; a figure without enough answers is "not measured",
never passed. Figures stored by an earlier akb (a ``blind`` figure, no exam or trivia) are
read with :func:`upgrade`.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from akb.bench.items import LETTERS, Item, Review
from akb.bench.taxonomy import Taxonomy
from akb.build.blind import reviewer_family, writer_families
from akb.build.checks import (
    MAX_GOLD_LONGEST,
    MAX_INNER_RANK,
    key_uniquely_longest,
    option_set_stats,
    release_stats,
)
from akb.build.exam import adjudication, current_reviews

VALIDITY_FILE = "validity.json"
TARGETS = {
    "options_only_overall_max": 0.35,
    "options_only_category_max": 0.40,
    "options_only_min_n": 300,
    "difficulty_min": 0.88,
    "difficulty_max": 0.97,
    "difficulty_min_n": 300,
    "trivial_max": 0.02,
    "trivial_min_n": 300,
    "inner_rank_max": MAX_INNER_RANK,
    "key_longest_max": MAX_GOLD_LONGEST,
    "embedding_category_max": 0.30,
    "min_subcategory": 15,
}


def fingerprint(items: Sequence[Item]) -> str:
    """What the figures were measured on: ids, questions, options and keys (not reviews)."""
    h = hashlib.sha256()
    for i in sorted(items, key=lambda i: i.id):
        h.update(json.dumps([i.id, i.question, i.choices, i.answer], ensure_ascii=False).encode())
    return h.hexdigest()


def _is_blind(r: Review) -> bool:
    """A key check: mode ``blind``, or a v0.1 model/human review (no mode) with a blind answer."""
    if r.mode not in (None, "blind"):
        return False
    return r.kind in ("model", "human") and (r.mode == "blind" or r.blind_answer is not None)


def _answers(items: Sequence[Item], mode: str) -> list[tuple[Item, Review]]:
    """Per item and reviewer, the latest current review of ``mode`` (``blind``: a key check)."""
    out: list[tuple[Item, Review]] = []
    for it in items:
        latest: dict[str, Review] = {}
        for r in current_reviews(it):
            ok = _is_blind(r) if mode == "blind" else r.mode == mode
            if ok:
                latest[r.reviewer] = r
        out += [(it, r) for r in latest.values()]
    return out


def _acc(pairs: Sequence[tuple[Item, Review]]) -> dict[str, Any]:
    n = len(pairs)
    correct = sum(r.blind_answer == it.answer for it, r in pairs)
    return {"n": n, "correct": correct, "accuracy": round(correct / n, 4) if n else None}


def _who(pairs: Sequence[tuple[Item, Review]], figures: Any) -> list[dict[str, Any]]:
    by_rev: dict[str, list[tuple[Item, Review]]] = defaultdict(list)
    for it, r in pairs:
        by_rev[r.reviewer].append((it, r))
    return [{"reviewer": k, "kind": v[0][1].kind,
             "family": reviewer_family(k, v[0][1].kind, v[0][1].family), **figures(v)}
            for k, v in sorted(by_rev.items())]


def _dates(pairs: Sequence[tuple[Item, Review]]) -> list[str] | None:
    dates = sorted(r.at for _, r in pairs)
    return [dates[0].date().isoformat(), dates[-1].date().isoformat()] if dates else None


def answer_figures(items: Sequence[Item], mode: str) -> dict[str, Any]:
    """Accuracy of the answers of ``mode`` (``options-only``, ``blind`` key checks, ``exam``)."""
    pairs = _answers(items, mode)
    by_cat: dict[str, list[tuple[Item, Review]]] = defaultdict(list)
    for it, r in pairs:
        by_cat[it.category].append((it, r))
    out: dict[str, Any] = {
        **_acc(pairs),
        "items_answered": len({it.id for it, _ in pairs}),
        "categories": {c: _acc(v) for c, v in sorted(by_cat.items())},
        "answered_by": _who(pairs, _acc),
        "dates": _dates(pairs),
    }
    if mode == "blind":
        out["disagreements"] = sorted({it.id for it, r in pairs if r.blind_answer != it.answer})
    if mode == "exam":
        out["samples"] = sorted({r.sample for _, r in pairs if r.sample})
    return out


def difficulty_figures(items: Sequence[Item]) -> dict[str, Any]:
    """Exam accuracy on the sample, every miss with its adjudication (the latest current one)."""
    out = answer_figures(items, "exam")
    missed: dict[str, list[Review]] = defaultdict(list)
    by_id = {i.id: i for i in items}
    answered = _answers(items, "exam")
    for it, r in answered:
        if r.blind_answer != it.answer:
            missed[it.id].append(r)
    misses: list[dict[str, Any]] = []
    for iid in sorted(missed):
        it = by_id[iid]
        adj = adjudication(it)
        misses.append({
            "id": iid, "category": it.category, "key": it.answer,
            "answers": [{"reviewer": r.reviewer, "answer": r.blind_answer} for r in missed[iid]],
            "adjudication": None if adj is None else {
                "verdict": "key-stands" if adj.verdict == "accept" else "fix", "by": adj.reviewer, "kind": adj.kind,
                "date": adj.at.date().isoformat(),
                "note": (adj.note or "").removeprefix("key stands: ").removeprefix("fix: ")},
        })
    out["misses"] = misses
    # A model answering items its own family wrote is no measure of how hard they are for others.
    writers = writer_families([it for it, _ in answered])
    out["writer_families"] = sorted(writers)
    for a in out["answered_by"]:
        a["writers_family"] = a.get("family") in writers
    out["key_stands"] = [m["id"] for m in misses if m["adjudication"] and m["adjudication"]["verdict"] == "key-stands"]
    out["to_fix"] = [m["id"] for m in misses if m["adjudication"] and m["adjudication"]["verdict"] == "fix"]
    out["unadjudicated"] = [m["id"] for m in misses if m["adjudication"] is None]
    return out


def trivia_figures(items: Sequence[Item]) -> dict[str, Any]:
    """Share of the judged items that common sense or a clue in the stem answers (an item is
    trivial when any current judge says so)."""
    pairs = _answers(items, "trivia")
    judged: dict[str, list[Review]] = defaultdict(list)
    by_id = {i.id: i for i in items}
    for it, r in pairs:
        judged[it.id].append(r)
    trivial = sorted(iid for iid, rs in judged.items() if any(r.verdict == "flag" for r in rs))

    tset = set(trivial)

    def rate(ids: Sequence[str]) -> dict[str, Any]:
        k = sum(1 for i in ids if i in tset)
        return {"n": len(ids), "trivial": k, "rate": round(k / len(ids), 4) if ids else None}

    by_cat: dict[str, list[str]] = defaultdict(list)
    for iid in judged:
        by_cat[by_id[iid].category].append(iid)
    return {
        **rate(list(judged)),
        "judgements": len(pairs),
        "categories": {c: rate(v) for c, v in sorted(by_cat.items())},
        "answered_by": _who(pairs, lambda v: {"n": len(v), "trivial": sum(r.verdict == "flag" for _, r in v)}),
        "dates": _dates(pairs),
        "samples": sorted({r.sample for _, r in pairs if r.sample}),
        "flagged": [{"id": iid, "reasons": [{"reviewer": r.reviewer, "reason": r.note} for r in judged[iid]
                                            if r.verdict == "flag"]} for iid in trivial],
    }


def _baseline(baselines: dict[str, Any] | None, spec: str) -> dict[str, Any] | None:
    b = (baselines or {}).get(spec)
    if not b:
        return None
    return {"overall": b["overall"].get("accuracy"),
            "categories": {c: s.get("accuracy") for c, s in sorted(b.get("categories", {}).items())}}


def compute_validity(items: Sequence[Item], taxonomy: Taxonomy, *, baselines: dict[str, Any] | None = None,
                     at: datetime | None = None) -> dict[str, Any]:
    at = at or datetime.now(timezone.utc).replace(microsecond=0)
    cats = Counter(i.category for i in items)
    subs = Counter((i.category, i.subcategory) for i in items)
    rel = release_stats(items)
    os_ = option_set_stats(items)
    letters: Counter[str] = Counter(i.answer for i in items)
    longest_by_cat = {c: round(sum(key_uniquely_longest(i) for i in items if i.category == c) / n, 3) for c, n in sorted(cats.items())}
    opt = answer_figures(items, "options-only")
    keys = answer_figures(items, "blind")
    diff = difficulty_figures(items)
    triv = trivia_figures(items)
    emb = _baseline(baselines, "embedding")
    emb_opt = _baseline(baselines, "options-only:embedding")
    t = TARGETS
    sizes = [subs.get((c.id, s.id), 0) for c in taxonomy.categories for s in c.subcategories]

    def measured(ok: bool | None) -> str:
        return "not measured" if ok is None else ("met" if ok else "missed")

    opt_ok = None if opt["n"] < t["options_only_min_n"] else (
        opt["accuracy"] <= t["options_only_overall_max"]
        and all(v["accuracy"] is not None and v["accuracy"] <= t["options_only_category_max"] for v in opt["categories"].values()))
    if diff["items_answered"] < t["difficulty_min_n"]:
        diff_verdict = "not measured"
    elif not t["difficulty_min"] <= diff["accuracy"] <= t["difficulty_max"]:
        diff_verdict = "missed"
    else:  # in range: met once every miss is adjudicated and none waits for a fix
        diff_verdict = "pending" if diff["unadjudicated"] or diff["to_fix"] else "met"
    triv_ok = None if triv["n"] < t["trivial_min_n"] else triv["rate"] <= t["trivial_max"]
    emb_ok = None if emb is None or emb_opt is None else all(
        v is not None and v <= t["embedding_category_max"] for b in (emb, emb_opt) for v in b["categories"].values())
    inner = os_["numeric_inner_rank_rate"]
    longest = os_["key_uniquely_longest_rate"]
    return {
        "computed": at.isoformat().replace("+00:00", "Z"),
        "fingerprint": fingerprint(items),
        "items": len(items),
        "totals": {"categories": dict(sorted(cats.items())),
                   "targets": {c.id: c.total for c in taxonomy.categories},
                   "exact": all(cats.get(c.id, 0) == c.total for c in taxonomy.categories) and len(items) == taxonomy.total},
        "subcategories": {"count": sum(1 for s in sizes if s > 0), "of": len(sizes), "min_size": min(sizes) if sizes else 0,
                          "at_least_15": sum(1 for s in sizes if s >= t["min_subcategory"])},
        "letters": {"overall": {x: letters.get(x, 0) for x in LETTERS},
                    "max_category_spread": max((s["gold_spread"] for s in rel.values() if isinstance(s, dict)), default=0)},
        "numeric_inner_rank": {"n": os_["numeric_items"], "rate": inner, "ranks": os_["numeric_key_ranks"],
                               "categories": os_["numeric_inner_rank_rate_by_category"]},
        "key_uniquely_longest": {"rate": longest, "categories": longest_by_cat},
        "options_only": opt,
        "key_checks": keys,
        "difficulty": diff,
        "trivia": triv,
        "baselines": {"embedding": emb, "options_only_embedding": emb_opt},
        "targets": t,
        "verdicts": {
            "options_only": measured(opt_ok),
            "difficulty": diff_verdict,
            "trivial": measured(triv_ok),
            "numeric_inner_rank": measured(None if inner is None else inner <= t["inner_rank_max"]),
            "key_uniquely_longest": measured(None if longest is None else longest <= t["key_longest_max"]),
            "embedding_baselines": measured(emb_ok),
            "letters_balanced": measured(all(s["gold_spread"] <= 1 for s in rel.values() if isinstance(s, dict))),
            "subcategories": measured(len(sizes) > 0 and all(s >= t["min_subcategory"] for s in sizes)),
            "totals_exact": measured(all(cats.get(c.id, 0) == c.total for c in taxonomy.categories)),
        },
    }


def upgrade(v: dict[str, Any] | None) -> dict[str, Any] | None:
    """Figures stored by an earlier akb: its ``blind`` figure was the key checks (every item's
    blind review, not the difficulty), and difficulty and triviality were not measured."""
    if v is None or "key_checks" in v:
        return v
    v = dict(v)
    keys = dict(v.pop("blind", None) or answer_figures([], "blind"))
    keys["disagreements"] = keys.pop("misses", [])
    v["key_checks"] = keys
    v["difficulty"] = difficulty_figures([])
    v["trivia"] = trivia_figures([])
    v["targets"] = {k: x for k, x in {**TARGETS, **v.get("targets", {})}.items() if not k.startswith("blind_")}
    verdicts = {k: x for k, x in v.get("verdicts", {}).items() if k != "blind"}
    v["verdicts"] = {**verdicts, "difficulty": "not measured", "trivial": "not measured"}
    return v


def load_validity(path: Path | None = None) -> dict[str, Any] | None:
    from akb.core.paths import data_path

    p = path or data_path(VALIDITY_FILE)
    return upgrade(json.loads(p.read_text())) if p.exists() else None


def pct(x: float | None) -> str:
    """A percentage to one decimal; two where one would round a miss away (99.96%, not 100.0%)."""
    if x is None:
        return "-"
    return f"{100 * x:.2f}%" if 0.9995 <= x < 1 else f"{100 * x:.1f}%"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else ('es' if word.endswith('s') else 's')}"


def who(fig: dict[str, Any]) -> str:
    """Who answered a figure, with kind, family and n."""
    if not fig["answered_by"]:
        return "nobody yet"
    return "; ".join(f"{a['reviewer']} ({a['kind']}{', ' + a['family'] if a.get('family') else ''}, n={a['n']})"
                     for a in fig["answered_by"])


def dates(fig: dict[str, Any]) -> str:
    return " to ".join(dict.fromkeys(fig["dates"])) if fig.get("dates") else "-"


def _cell(text: str | None) -> str:
    return " ".join((text or "").replace("|", "/").split())


def difficulty_summary(d: dict[str, Any]) -> str:
    """One sentence on the exam's misses and their adjudication."""
    if not d["n"]:
        return ("Difficulty: no exam answers yet (`akb build packet --exam --sample 320`, then "
                "`akb build answers --exam`).")
    samples = ", ".join(d.get("samples") or []) or "sample not recorded"
    s = (f"Difficulty (exam answers; {samples}): {who(d)}; dates {dates(d)}; {_plural(len(d['misses']), 'miss')}: "
         f"{len(d['key_stands'])} adjudicated (key stands), {len(d['to_fix'])} to fix, "
         f"{len(d['unadjudicated'])} not yet adjudicated")
    s += (f" ({', '.join(d['unadjudicated'][:20])}{', ...' if len(d['unadjudicated']) > 20 else ''})."
          if d["unadjudicated"] else ".")
    same = [a for a in d["answered_by"] if a.get("writers_family")]
    if same and len(same) == len(d["answered_by"]):
        s += (f" Every examinee so far is of the writers' model family ({', '.join(sorted({a['family'] for a in same}))}), "
              "which answers what it wrote: the figure is an upper bound, not the difficulty for a strong model of "
              "another family or for people; measure it with one (`akb build review FILE --exam --sample 320 "
              "--model BACKEND:NAME`, or an --exam packet).")
    return s


def trivia_summary(tr: dict[str, Any]) -> str:
    if not tr["n"]:
        return "Trivial or clued: not judged yet (`akb build packet --trivia --sample 320`, then `akb build answers --trivia`)."
    samples = ", ".join(tr.get("samples") or []) or "sample not recorded"
    flagged = ", ".join(f["id"] for f in tr["flagged"]) or "none"
    return f"Trivial or clued (trivia judgements; {samples}): {who(tr)}; dates {dates(tr)}; flagged: {flagged}."


def validity_markdown(v: dict[str, Any] | None, items: Sequence[Item], taxonomy: Taxonomy) -> list[str]:
    """The dataset card's "Validity" section."""
    L = ["## Validity", ""]
    v = upgrade(v)
    if v is None:
        return L + ["Not measured for this release (run `akb build validity`).", ""]
    if v.get("fingerprint") != fingerprint(items):
        L += ["**These figures were measured on a different item set than this release** (the items changed after "
              "`akb build validity` last ran); treat them as out of date.", ""]
    t = v["targets"]
    opt, keys, diff, triv = v["options_only"], v["key_checks"], v["difficulty"], v["trivia"]
    L += [f"Measured {v['computed'][:10]} on {v['items']} items by `akb build validity`. The targets are those of "
          "the construction brief (issue 14); a figure without enough answers is \"not measured\", never \"met\". "
          "Key checks (a reviewer verifying each item's key, free to deliberate) say whether the keys hold, not how "
          "hard the items are; difficulty is measured by an examinee answering a stratified sample blind.", "",
          "| Figure | Value | n | Target | Verdict |", "|---|---:|---:|---|---|",
          f"| Options only, question hidden (overall) | {pct(opt['accuracy'])} | {opt['n']} | <= {t['options_only_overall_max']:.0%} overall, "
          f"<= {t['options_only_category_max']:.0%} per category, n >= {t['options_only_min_n']} | {v['verdicts']['options_only']} |",
          f"| Key checks: blind reviewers agree with the key (every item) | {pct(keys['accuracy'])} | {keys['n']} | none (checks the keys, not difficulty) | - |",
          f"| Difficulty: blind exam accuracy on a stratified sample | {pct(diff['accuracy'])} | {diff['n']} | "
          f"{t['difficulty_min']:.0%}-{t['difficulty_max']:.0%} on >= {t['difficulty_min_n']} sampled items, every miss adjudicated | {v['verdicts']['difficulty']} |",
          f"| Trivial or clued items (sample) | {pct(triv['rate'])} | {triv['n']} | <= {t['trivial_max']:.0%}, n >= {t['trivial_min_n']} | {v['verdicts']['trivial']} |",
          f"| Numeric key at an inner rank | {pct(v['numeric_inner_rank']['rate'])} | {v['numeric_inner_rank']['n']} | <= {t['inner_rank_max']:.0%} (chance 50%) | {v['verdicts']['numeric_inner_rank']} |",
          f"| Key uniquely the longest option | {pct(v['key_uniquely_longest']['rate'])} | {v['items']} | <= {t['key_longest_max']:.0%} | {v['verdicts']['key_uniquely_longest']} |",
          f"| Letters balanced (max spread in a category) | {v['letters']['max_category_spread']} | {v['items']} | <= 1 | {v['verdicts']['letters_balanced']} |",
          f"| Subcategories with >= {t['min_subcategory']} items | {v['subcategories']['at_least_15']} of {v['subcategories']['of']} (smallest {v['subcategories']['min_size']}) | | all | {v['verdicts']['subcategories']} |",
          f"| Category totals exact | {'yes' if v['totals']['exact'] else 'no'} | {v['items']} | exact | {v['verdicts']['totals_exact']} |",
          f"| Embedding baselines per category | see below | | <= {t['embedding_category_max']:.0%} | {v['verdicts']['embedding_baselines']} |", "",
          f"Options-only answers: {who(opt)}; dates {dates(opt)}.",
          f"Key checks: {who(keys)}; dates {dates(keys)}; {_plural(len(keys.get('disagreements', [])), 'disagreement')} with the key.",
          difficulty_summary(diff),
          trivia_summary(triv), ""]
    cats = [c.id for c in taxonomy.categories]
    emb, embo = v["baselines"]["embedding"], v["baselines"]["options_only_embedding"]
    L += ["| Per category | " + " | ".join(taxonomy.category_name(c) for c in cats) + " |", "|---|" + "---:|" * len(cats)]
    L.append("| Options only (n) | " + " | ".join(
        f"{pct(opt['categories'].get(c, {}).get('accuracy'))} ({opt['categories'].get(c, {}).get('n', 0)})" for c in cats) + " |")
    L.append("| Key checks (n) | " + " | ".join(
        f"{pct(keys['categories'].get(c, {}).get('accuracy'))} ({keys['categories'].get(c, {}).get('n', 0)})" for c in cats) + " |")
    L.append("| Difficulty: exam (n) | " + " | ".join(
        f"{pct(diff['categories'].get(c, {}).get('accuracy'))} ({diff['categories'].get(c, {}).get('n', 0)})" for c in cats) + " |")
    L.append("| Trivial or clued (n) | " + " | ".join(
        f"{pct(triv['categories'].get(c, {}).get('rate'))} ({triv['categories'].get(c, {}).get('n', 0)})" for c in cats) + " |")
    L.append("| Numeric key at inner rank | " + " | ".join(pct(v['numeric_inner_rank']['categories'].get(c)) for c in cats) + " |")
    L.append("| Key uniquely longest | " + " | ".join(pct(v['key_uniquely_longest']['categories'].get(c)) for c in cats) + " |")
    for label, b in (("Embedding baseline", emb), ("Options-only embedding", embo)):
        L.append(f"| {label} | " + " | ".join(pct((b or {}).get("categories", {}).get(c)) for c in cats) + " |")
    L.append("")
    if diff["misses"]:
        L += ["Exam misses and their adjudication:", "", "| Item | Key | Answered | Adjudication |", "|---|---|---|---|"]
        for m in diff["misses"]:
            ans = ", ".join(f"{a['answer'] or 'none'} ({a['reviewer']})" for a in m["answers"])
            adj = m["adjudication"]
            ruling = "not yet adjudicated" if adj is None else f"{adj['verdict']} ({adj['by']}, {adj['kind']}, {adj['date']}): {_cell(adj['note'])}"
            L.append(f"| {m['id']} | {m['key']} | {_cell(ans)} | {ruling} |")
        L.append("")
    return L
