"""Automatic checks over a benchmark file (``akb build check``).

Item-level problems are errors (the item must be fixed or dropped) or warnings (reported,
not blocking); release-level statistics (gold balance, key-is-longest rate, numeric key
ranks) are reported against thresholds.

The option-set rule (v0.2, issue 14): every distractor is the right answer to a closely
related sibling question recorded in ``meta.siblings``, so the four options alone cannot
tell which question was asked; options are of one kind, of similar length and hedged alike;
no option alone repeats a content word of the stem; numeric keys are spread evenly over the
ranks of the sorted values.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from akb.bench.items import LETTERS, Item, normalise_text

BANNED_OPTIONS = re.compile(r"\b(all|none|both|neither) of (the|these|those) (above|options|answers)\b|\ball of the above\b|\bnone of the above\b", re.I)


# Above this share a "pick the longest option" heuristic beats chance (about 25%) by a lot.
MAX_GOLD_LONGEST = 0.30


@dataclass(frozen=True)
class Problem:
    item_id: str
    check: str
    message: str
    severity: str = "error"  # "error" blocks a release; "warning" is reported only


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


SAME_FACT = 0.85


def same_fact_pairs(items: Sequence[Item], embed: Callable[[list[str]], Any],
                    threshold: float = SAME_FACT) -> list[tuple[str, str, float]]:
    """Pairs that may ask the same fact in other words: the cosine similarity of the sentence
    embeddings of question and key together is at least ``threshold``. ``embed`` returns
    unit-length rows. :func:`near_duplicates` compares wording; this finds 'Which medical term
    names the hiccup?' beside 'What is the medical term for hiccups?' (v0.4 held 39 items that
    repeated another's fact). Template siblings of one generator are not compared."""
    import numpy as np

    if len(items) < 2:
        return []
    emb = np.asarray(embed([f"{it.question} Answer: {it.answer_text}" for it in items]), dtype=np.float32)
    sims = emb @ emb.T
    out: list[tuple[str, str, float]] = []
    for a, b in zip(*np.nonzero(np.triu(sims, 1) >= threshold), strict=True):
        ia, ib = items[int(a)], items[int(b)]
        if (ia.provenance.method == ib.provenance.method == "procedural"
                and ia.provenance.generator == ib.provenance.generator):
            continue
        out.append((ia.id, ib.id, round(float(sims[a, b]), 3)))
    return sorted(out, key=lambda t: -t[2])


def same_fact_problems(items: Sequence[Item], embed: Callable[[list[str]], Any],
                       threshold: float = SAME_FACT) -> list[Problem]:
    """Warnings for :func:`same_fact_pairs`: a person decides whether the two ask one fact."""
    return [Problem(b, "same-fact", f"may ask the same fact as {a} (embedding similarity {r}): keep one, "
                                    "or make them ask different facts", severity="warning")
            for a, b, r in same_fact_pairs(items, embed, threshold)]


def check_items(
    items: Sequence[Item],
    *,
    recompute: bool = True,
    option_rules: bool | None = None,
    warnings: bool = False,
) -> list[Problem]:
    """Every problem found, errors only unless ``warnings``. ``option_rules`` applies the
    v0.2 option-set checks; None applies them when the file carries ``meta.siblings`` at all
    (the v0.1 release predates the rule)."""
    if option_rules is None:
        option_rules = option_rules_apply(items)
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
        if option_rules:
            problems.extend(option_problems(it))
    for a, b, r in near_duplicates(items):
        problems.append(Problem(b, "near-duplicate", f"asks the same as {a} (similarity {r})"))
    for cat, st in release_stats(items).items():
        assert isinstance(st, dict)
        if st["gold_spread"] > 1:
            problems.append(Problem(cat, "gold-balance", f"gold letters {st['gold_letters']} differ by more than one"))
        if st["items"] >= 20 and st["gold_longest_rate"] > MAX_GOLD_LONGEST:
            problems.append(Problem(cat, "gold-longest", f"the key is the strictly longest option in {st['gold_longest_rate']:.0%} of items"
                                    f" (limit {MAX_GOLD_LONGEST:.0%})"))
    if option_rules:
        os_ = option_set_stats(items)
        rate = os_["numeric_inner_rank_rate"]
        if os_["numeric_items"] >= 20 and rate is not None and rate > MAX_INNER_RANK:
            inner_ids = [i.id for i in items if key_rank(i) in (1, 2)]
            problems.append(Problem("numeric", "numeric-inner-rank",
                                    f"the key is at an inner rank of its four numeric options in {rate:.0%} of "
                                    f"{os_['numeric_items']} numeric items (limit {MAX_INNER_RANK:.0%}; chance 50%); "
                                    f"e.g. {', '.join(inner_ids[:5])}"))
    if not warnings:
        problems = [p for p in problems if p.severity == "error"]
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


# ---------------------------------------------------------------- the option-set rule (v0.2)
# Set level: the key at an inner rank of four numeric options (chance 50%); the key strictly
# longer than every other option (chance ~25%).
MAX_INNER_RANK = 0.60
# Item level: option lengths. Beyond LENGTH_WARN (20%) a warning; an error when the longest is
# more than LENGTH_ERROR (25%) longer than the shortest AND more than LENGTH_MIN_CHARS longer
# AND the key is the one that stands out (uniquely longest or shortest) among phrase options
# (short options such as "3.4 kHz" / "17 kHz" or four names differ by a few characters
# without giving anything away). Procedural options (computed words and numbers) are only
# warned about.
LENGTH_WARN = 1.20
LENGTH_ERROR = 1.25
LENGTH_MIN_CHARS = 6
PHRASE_WORDS = 3  # options of 3+ words are phrases, where length can cue the key

HEDGES = re.compile(
    r"\b(usually|often|typically|generally|mostly|sometimes|may|might|can|tend|tends|some|slightly|somewhat|"
    r"relatively|largely|mainly|roughly|about|approximately|partly|partially)\b", re.I)
_STOP = frozenset("the a an of to in on at for and or with by from is are was be as that this which what its it into "
                  "than more most less not no their his her them they one two".split())
_NUMWORDS = {w: i for i, w in enumerate(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight",
                                         "nine", "ten", "eleven", "twelve"])}
_NUM_RE = re.compile(r"^\s*(?:about|approximately|roughly|~|≈)?\s*([+\-−]?\d[\d,]*(?:\.\d+)?)\s*(.*?)\s*$", re.I)
_PLURALS = re.compile(r"\b(beat|second|frame|bin|note|cent|semitone|octave|sample|bit|byte|minute|hour|step|word|"
                      r"syllable|channel|year|month|week|day|cycle|hop|band|voice|harmonic|mode)s\b")
_SCALE = {"khz": ("hz", 1e3), "mhz": ("hz", 1e6), "ms": ("s", 1e-3), "second": ("s", 1.0), "km": ("m", 1e3),
          "cm": ("m", 1e-2), "mm": ("m", 1e-3), "kbit/": ("kbit/", 1.0), "mbit/": ("kbit/", 1e3)}


def content_words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]+", text.lower()) if w not in _STOP and len(w) > 3}


def numeric_value(text: str) -> tuple[float, str] | None:
    """``(value, unit)`` of an option that is one number with a short unit ("3.4 kHz" ->
    (3400, "hz")), or None. Ranges, number pairs and prose after the number are not numbers."""
    t = text.strip()
    if t.lower() in _NUMWORDS:
        return float(_NUMWORDS[t.lower()]), ""
    m = _NUM_RE.match(t)
    if not m:
        return None
    num = float(m.group(1).replace(",", "").replace("−", "-"))
    unit = m.group(2).strip().lower()
    if re.fullmatch(r":\s*1", unit):  # a ratio "9.6 : 1"
        unit = "ratio"
    if re.search(r"\d", unit) or len(unit.split()) > 3 or unit[:1] in {"-", "–", "(", ","}:
        return None
    unit = _PLURALS.sub(r"\1", unit)  # beats/beat, seconds/second
    for prefix, (base, mult) in _SCALE.items():
        if unit == prefix or unit.startswith(prefix):
            unit, num = base + unit[len(prefix):], num * mult
            break
    return num, unit


def numeric_options(item: Item) -> list[float] | None:
    """The four option values when all four are numbers of one unit, else None."""
    vals = [numeric_value(c) for c in item.choices]
    if any(v is None for v in vals):
        return None
    units = {v[1] for v in vals if v is not None}
    nums = [v[0] for v in vals if v is not None]
    if len(units) != 1 or len(set(nums)) != 4:
        return None
    return nums


def key_rank(item: Item) -> int | None:
    """0 = the key is the smallest of four numeric options, 3 = the largest; None if not numeric."""
    nums = numeric_options(item)
    if nums is None:
        return None
    return sorted(nums).index(nums[item.answer_index])


def key_uniquely_longest(item: Item) -> bool:
    return len(item.answer_text) > max(len(c) for j, c in enumerate(item.choices) if j != item.answer_index)


def sibling_problems(item: Item) -> list[str]:
    """Why ``meta.siblings`` does not give one sibling question per distractor (empty: it does)."""
    sib = item.meta.get("siblings")
    if sib is None:
        return ["no meta.siblings: each distractor needs the sibling question it answers"]
    if not isinstance(sib, list) or len(sib) != 3:
        return ["meta.siblings must list exactly 3 {option, question} objects"]
    out: list[str] = []
    distractors = {normalise_text(c) for j, c in enumerate(item.choices) if j != item.answer_index}
    seen_q: set[str] = set()
    opts: set[str] = set()
    for k, s in enumerate(sib):
        if not isinstance(s, dict) or not isinstance(s.get("option"), str) or not isinstance(s.get("question"), str):
            out.append(f"sibling {k + 1} is not an object with string 'option' and 'question'")
            continue
        q = normalise_text(s["question"])
        if len(q) < 10:
            out.append(f"sibling {k + 1} has no real question")
        elif q == normalise_text(item.question):
            out.append(f"sibling {k + 1} repeats the item's own question")
        elif q in seen_q:
            out.append(f"sibling {k + 1} repeats another sibling's question")
        seen_q.add(q)
        opts.add(normalise_text(s["option"]))
    if not out and opts != distractors:
        missing = sorted(distractors - opts)
        out.append(f"sibling options are not the 3 distractors (missing {missing[:3]})")
    return out


def option_problems(item: Item) -> list[Problem]:
    """The item-level option-set rules (hedges, stem words, lengths, siblings), with reasons."""
    out: list[Problem] = []
    k = item.answer_index
    key = item.choices[k]
    dis = [c for j, c in enumerate(item.choices) if j != k]
    if HEDGES.search(key) and not any(HEDGES.search(d) for d in dis):
        out.append(Problem(item.id, "hedge-only-key", f"only the key is hedged ({HEDGES.search(key).group(0)!r})"))  # type: ignore[union-attr]
    stem = content_words(item.question)
    shared = [content_words(c) & stem for c in item.choices]
    lone = [j for j, s in enumerate(shared) if s]
    if len(lone) == 1:
        j = lone[0]
        words = ", ".join(sorted(shared[j]))
        if j == k:
            out.append(Problem(item.id, "stem-word-key", f"only the key repeats stem word(s) {words}"))
        else:
            out.append(Problem(item.id, "stem-word-option", f"only option {LETTERS[j]} repeats stem word(s) {words}",
                               severity="warning"))
    lens = [len(c) for c in item.choices]
    ratio = max(lens) / min(lens)
    # Length is a cue when the key stands out by it among options that are phrases (where
    # "pick the longest/most qualified answer" works); four names or values of uneven length
    # (Zap, Kaboom, Boing, Pow) carry no such cue and only get the warning.
    key_outlier = (lens[k] == max(lens) and lens.count(max(lens)) == 1) or (lens[k] == min(lens) and lens.count(min(lens)) == 1)
    phrases = max(len(c.split()) for c in item.choices) >= PHRASE_WORDS
    if (ratio > LENGTH_ERROR and max(lens) - min(lens) > LENGTH_MIN_CHARS and key_outlier and phrases
            and item.provenance.method != "procedural"):
        out.append(Problem(item.id, "option-length", f"option lengths {lens} spread {ratio - 1:.0%} (> {LENGTH_ERROR - 1:.0%}) "
                                                     f"and the key is the {'longest' if lens[k] == max(lens) else 'shortest'}"))
    elif ratio > LENGTH_WARN and max(lens) - min(lens) > LENGTH_MIN_CHARS:
        out.append(Problem(item.id, "option-length", f"option lengths {lens} spread {ratio - 1:.0%} (> {LENGTH_WARN - 1:.0%})",
                           severity="warning"))
    for why in sibling_problems(item):
        out.append(Problem(item.id, "siblings", why))
    return out


def option_rules_apply(items: Sequence[Item]) -> bool:
    """A file written under the v0.2 option-set rule carries meta.siblings; the v0.1 release
    predates the rule and none of its items has them."""
    return any("siblings" in i.meta for i in items)


def option_set_stats(items: Sequence[Item]) -> dict[str, Any]:
    """Set-level option cues: numeric key ranks and the key-is-uniquely-longest rate."""
    ranks: Counter[int] = Counter()
    by_cat: dict[str, Counter[int]] = defaultdict(Counter)
    for it in items:
        r = key_rank(it)
        if r is not None:
            ranks[r] += 1
            by_cat[it.category][r] += 1
    n = sum(ranks.values())
    longest = sum(key_uniquely_longest(i) for i in items)

    def inner(c: Counter[int]) -> float | None:
        tot = sum(c.values())
        return round((c[1] + c[2]) / tot, 3) if tot else None

    return {
        "numeric_items": n,
        "numeric_key_ranks": {str(r): ranks[r] for r in range(4)},
        "numeric_inner_rank_rate": inner(ranks),
        "numeric_inner_rank_rate_by_category": {c: inner(v) for c, v in sorted(by_cat.items())},
        "key_uniquely_longest": longest,
        "key_uniquely_longest_rate": round(longest / len(items), 3) if items else None,
    }
