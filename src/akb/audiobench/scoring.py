"""Scoring audio-benchmark answers: the official MMAU/MMAR rule and akb's robust one.

**Official rule** (MMAU's, copied by MMAR), reproduced exactly: lower-case the prediction,
the answer and every choice and take each one's SET of word tokens (``\\b\\w+\\b``). A
prediction is correct iff it holds every token of the answer and none of the tokens that
belong to a wrong choice but not to the answer; an empty prediction is wrong. So a bare
letter "A" is wrong, "It is a man, not a woman" is wrong, and a chatty prefix can collide
with option words. The official scripts silently drop items that have no prediction; akb
counts them as wrong and reports how many there were (``missing``), and also gives the
number the scripts would print (``official_script``) so both can be compared, with the
same breakdowns under the scripts' convention (``official_script_breakdown``: each task /
modality / category divided by its items that have a prediction).

**Robust rule** (akb's): find the chosen option in the reply, by letter or by option text
(:func:`akb.bench.extract.extract_choice`); a reply naming no option or several is
*invalid*, counted wrong and reported as the invalid rate. In logprob mode the letter with
the highest log-probability is the choice.

Both give the same breakdowns: by group (MMAU task / MMAR modality), category,
sub-category and difficulty, each a Score with a 95% Wilson interval.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from akb.audiobench.items import AudioItem
from akb.bench.extract import extract_choice
from akb.core.results import AudioMetrics, RobustMetrics, RuleMetrics
from akb.core.scores import Score, wilson

_WORD = re.compile(r"\b\w+\b")


def word_set(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


def official_match(answer: str, prediction: str | None, choices: Sequence[str]) -> bool:
    """The MMAU/MMAR string-match verdict for one prediction."""
    pred = word_set(prediction or "")
    if not pred:
        return False
    gold = word_set(answer)
    wrong: set[str] = set()
    for c in choices:
        toks = word_set(c)
        if toks != gold:
            wrong |= toks - gold
    return gold <= pred and not (pred & wrong)


def score_sample(item: AudioItem, prediction: str | None, *, letter: str | None = None,
                 method: str | None = None) -> dict[str, Any]:
    """One sample record: the official and robust verdicts of ``prediction`` for ``item``.

    ``letter`` is a choice already made (logprob mode); otherwise the robust choice is
    extracted from ``prediction``."""
    rec: dict[str, Any] = {
        "id": item.id, "group": item.group, "category": item.category, "subcategory": item.subcategory,
        "difficulty": item.difficulty, "answer": item.answer, "choices": item.choices,
        "answer_letter": item.answer_letter if item.labelled else None,
        "pred": prediction, "missing": prediction is None,
    }
    if letter is None and prediction is not None:
        ex = extract_choice(prediction, item.choices, item.letters)
        letter, method = ex.letter, ex.method
    elif prediction is None:
        method = method or "missing"
    rec["pred_letter"] = letter
    rec["method"] = method
    rec["invalid"] = letter is None
    if item.labelled:
        assert item.answer is not None
        rec["correct"] = official_match(item.answer, prediction, item.choices)
        rec["robust_correct"] = letter is not None and letter == item.answer_letter
    else:
        rec["correct"] = rec["robust_correct"] = None
    return rec


def _breakdown(items: Sequence[AudioItem], ok: Mapping[str, bool], attr: str) -> dict[str, Score]:
    groups: dict[str, list[bool]] = defaultdict(list)
    for it in items:
        key = getattr(it, attr)
        if key is not None:
            groups[key].append(ok[it.id])
    return {k: wilson(sum(v), len(v)) for k, v in sorted(groups.items())}


def _rule(items: Sequence[AudioItem], ok: Mapping[str, bool]) -> dict[str, Any]:
    return {
        "overall": wilson(sum(ok[i.id] for i in items), len(items)),
        "by_group": _breakdown(items, ok, "group"),
        "by_category": _breakdown(items, ok, "category"),
        "by_subcategory": _breakdown(items, ok, "subcategory"),
        "by_difficulty": _breakdown(items, ok, "difficulty"),
    }


def metrics_from_samples(items: Sequence[AudioItem], samples: Iterable[Mapping[str, Any]]) -> AudioMetrics:
    """Metrics over ``items``; an item without a sample (failed, not run) counts as missing."""
    by_id = {s["id"]: s for s in samples}
    labelled = [it for it in items if it.labelled]
    official: dict[str, bool] = {}
    robust: dict[str, bool] = {}
    invalid = missing = errors = 0
    present: list[AudioItem] = []
    for it in labelled:
        s = by_id.get(it.id)
        if s is None or s.get("pred") is None:
            missing += 1
            official[it.id] = robust[it.id] = False
            errors += bool(s and s.get("error"))
            continue
        official[it.id] = bool(s.get("correct"))
        robust[it.id] = bool(s.get("robust_correct"))
        invalid += bool(s.get("invalid"))
        errors += bool(s.get("error"))
        present.append(it)
    n = len(labelled)
    return AudioMetrics(
        official=RuleMetrics(**_rule(labelled, official)),
        robust=RobustMetrics(**_rule(labelled, robust), invalid=invalid, invalid_rate=invalid / n if n else None),
        missing=missing,
        official_script=wilson(sum(official[i.id] for i in present), len(present)),
        official_script_breakdown=RuleMetrics(**_rule(present, official)),
        unlabelled=len(items) - n,
        errors=errors,
    )


def compute_audio_metrics(items: Sequence[AudioItem], predictions: Mapping[str, str | None],
                          letters: Mapping[str, str | None] | None = None) -> AudioMetrics:
    """Metrics for predictions keyed by item id (absent or None = missing). ``letters``
    (optional) are choices already made, e.g. from log-probabilities."""
    samples = []
    for it in items:
        if it.id in predictions and predictions[it.id] is not None:
            samples.append(score_sample(it, predictions[it.id], letter=(letters or {}).get(it.id)))
    return metrics_from_samples(items, samples)
