"""Issue 14 difficulty and triviality: exam answers on a stratified sample (met only when every
miss is adjudicated), trivia judgements, adjudications, the key checks kept apart, answers to
an earlier text not counted, and one clear error for a bad answer line."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from akb.bench.items import LETTERS, Item, Provenance, Review, ReviewRecord
from akb.bench.taxonomy import load_taxonomy
from akb.build.blind import BlindAnswer, make_packet
from akb.build.exam import (
    Adjudication,
    TriviaAnswer,
    apply_adjudications,
    apply_exam_answers,
    apply_trivia,
)
from akb.build.validity import compute_validity, upgrade, validity_markdown
from akb.core.errors import DataError
from cli_helpers import akb, one_line_error

AT = datetime(2026, 12, 7, 18, 0, tzinfo=timezone.utc)
LATER = AT + timedelta(hours=1)
EXAMINEE = "openai:gpt-5 (exam)"


def make(n: int, *, cats: tuple[str, ...] = ("technical", "music")) -> list[Item]:
    """``n`` items spread over ``cats``, keys cycling A-D, each with a passing blind key check."""
    subs = {"technical": "signal_processing", "music": "harmony_chords"}
    out = []
    for i in range(n):
        cat = cats[i % len(cats)]
        k = i % 4
        choices = [f"Option {x} of item {i}" for x in "wxyz"]
        key_check = Review(reviewer="anthropic:claude-checker", kind="model", at=AT, blind_answer=LETTERS[k],
                           verdict="accept", mode="blind", family="claude")
        out.append(Item(id=f"{cat}.{subs[cat]}.{i + 1:03d}", category=cat, subcategory=subs[cat],
                        question=f"Which option answers question number {i}?", choices=choices, answer=LETTERS[k],
                        rationale="The rationale.", provenance=Provenance(method="llm-generated", by="anthropic:claude-writer", created=AT),
                        review=ReviewRecord(status="model-reviewed", reviews=[key_check])))
    return out


def wrong(it: Item) -> str:
    return LETTERS[(LETTERS.index(it.answer) + 1) % 4]


def examined(items: list[Item], misses: int) -> list[Item]:
    """Exam answers to every item: the first ``misses`` wrong, the rest right."""
    answers = {it.id: BlindAnswer(id=it.id, answer=wrong(it) if k < misses else it.answer) for k, it in enumerate(items)}
    done, missed = apply_exam_answers(items, answers, reviewer=EXAMINEE, sample="stratified n=320 seed=7", at=AT)
    assert len(missed) == misses
    return done


def rule(items: list[Item], ids: list[str], verdict: str = "key-stands", at: datetime = LATER) -> list[Item]:
    rulings = {i: Adjudication(id=i, verdict=verdict, note="The key is the textbook value; the examinee confused it "
                                                         "with the sibling quantity.") for i in ids}
    return apply_adjudications(items, rulings, by="person-1", kind="human", at=at)


def validity(items: list[Item]) -> dict:
    return compute_validity(items, load_taxonomy(), at=LATER)


# ---------------------------------------------------------------- difficulty
def test_exam_misses_keep_the_target_pending_until_every_one_is_adjudicated() -> None:
    items = examined(make(320), misses=20)  # 93.75%: in range
    v = validity(items)
    d = v["difficulty"]
    assert (d["n"], d["correct"], d["accuracy"], d["items_answered"]) == (320, 300, 0.9375, 320)
    assert d["answered_by"][0]["reviewer"] == EXAMINEE and d["answered_by"][0]["family"] == "gpt"
    assert d["dates"] == ["2026-12-07", "2026-12-07"] and d["samples"] == ["stratified n=320 seed=7"]
    assert d["categories"]["technical"]["n"] == 160
    assert len(d["misses"]) == 20 and len(d["unadjudicated"]) == 20
    assert v["verdicts"]["difficulty"] == "pending"
    # The key checks (100% here) are reported apart and carry no difficulty verdict.
    assert v["key_checks"]["accuracy"] == 1.0 and v["key_checks"]["n"] == 320

    missed = [m["id"] for m in d["misses"]]
    items = rule(items, missed[:19])
    assert validity(items)["verdicts"]["difficulty"] == "pending"  # one still open
    items = rule(items, missed[19:], verdict="fix")
    d = validity(items)["difficulty"]
    assert d["to_fix"] == missed[19:] and not d["unadjudicated"]
    assert validity(items)["verdicts"]["difficulty"] == "pending"  # a key to fix is not a key that stands
    items = rule(items, missed[19:], at=LATER + timedelta(minutes=5))  # the later ruling decides
    v = validity(items)
    d = v["difficulty"]
    # Adjudicated misses still count as misses; with all of them adjudicated the target is met.
    assert d["accuracy"] == 0.9375 and len(d["key_stands"]) == 20 and v["verdicts"]["difficulty"] == "met"
    md = "\n".join(validity_markdown(v, items, load_taxonomy()))
    assert "Difficulty: blind exam accuracy on a stratified sample | 93.8% | 320" in md
    assert "key-stands (person-1, human, 2026-12-07): The key is the textbook value" in md
    assert "20 adjudicated (key stands), 0 to fix, 0 not yet adjudicated" in md
    # Nothing about the exam or its rulings changed a status.
    assert {i.review.status for i in items} == {"model-reviewed"}


def test_difficulty_outside_the_range_or_on_too_few_items() -> None:
    assert validity(examined(make(320), misses=0))["verdicts"]["difficulty"] == "missed"   # 100%: too easy
    assert validity(examined(make(320), misses=60))["verdicts"]["difficulty"] == "missed"  # 81%: too hard
    assert validity(examined(make(299), misses=20))["verdicts"]["difficulty"] == "not measured"


def test_answers_and_rulings_made_before_the_text_changed_do_not_count() -> None:
    items = rule(examined(make(4), misses=2), [])  # two misses, none ruled
    ruled = rule(items, [items[0].id])
    edit = Review(reviewer="akb build merge-revisions", kind="auto", at=LATER, verdict="edit", note="rewritten")
    rewritten = ruled[0].model_copy(update={"review": ReviewRecord(status="draft", reviews=[*ruled[0].review.reviews, edit])})
    d = validity([rewritten, *ruled[1:]])["difficulty"]
    assert d["n"] == 3 and rewritten.id not in {m["id"] for m in d["misses"]}
    # A fresh exam answer to the new text counts again, without the old ruling.
    again, _ = apply_exam_answers([rewritten], {rewritten.id: BlindAnswer(id=rewritten.id, answer=wrong(rewritten))},
                                  reviewer=EXAMINEE, at=LATER + timedelta(hours=1))
    d = validity([*again, *ruled[1:]])["difficulty"]
    assert d["n"] == 4 and rewritten.id in d["unadjudicated"]
    # A ruling needs a current miss to rule on.
    with pytest.raises(DataError, match="no exam miss"):
        rule([rewritten], [rewritten.id])


def test_measurement_reviews_never_back_a_status() -> None:
    exam = Review(reviewer=EXAMINEE, kind="model", at=AT, blind_answer="A", mode="exam", family="gpt")
    with pytest.raises(ValidationError, match="model-reviewed"):
        ReviewRecord(status="model-reviewed", reviews=[exam])
    ruling = Review(reviewer="person-1", kind="human", at=AT, mode="adjudication", note="key stands: fine")
    with pytest.raises(ValidationError, match="human-verified"):
        ReviewRecord(status="human-verified", reviews=[exam, ruling])


# ---------------------------------------------------------------- trivia
def test_trivia_flags_give_the_rate_and_the_flagged_ids() -> None:
    items = make(300)

    def judged(flags: int) -> dict:
        answers = {it.id: TriviaAnswer(id=it.id, trivial=k < flags, reason="the stem names the answer" if k < flags else "")
                   for k, it in enumerate(items)}
        done, flagged = apply_trivia(items, answers, reviewer="anthropic:claude-judge", sample="stratified n=300 seed=1", at=AT)
        assert len(flagged) == flags
        return validity(done)

    v = judged(6)  # 2.0%
    tr = v["trivia"]
    assert (tr["n"], tr["trivial"], tr["rate"]) == (300, 6, 0.02) and v["verdicts"]["trivial"] == "met"
    assert tr["flagged"][0]["reasons"] == [{"reviewer": "anthropic:claude-judge", "reason": "the stem names the answer"}]
    assert tr["answered_by"][0]["trivial"] == 6 and tr["samples"] == ["stratified n=300 seed=1"]
    assert judged(7)["verdicts"]["trivial"] == "missed"
    md = "\n".join(validity_markdown(judged(7), items, load_taxonomy()))
    assert "Trivial or clued items (sample) | 2.3% | 300" in md and items[0].id in md
    assert validity(make(10))["verdicts"]["trivial"] == "not measured"


def test_a_second_judge_flagging_an_item_makes_it_trivial() -> None:
    items = make(4)
    done, _ = apply_trivia(items, {i.id: TriviaAnswer(id=i.id, trivial=False) for i in items}, reviewer="a:judge-1", at=AT)
    done, _ = apply_trivia(done, {items[1].id: TriviaAnswer(id=items[1].id, trivial=True, reason="common sense")},
                           reviewer="b:judge-2", at=AT)
    tr = validity(done)["trivia"]
    assert (tr["n"], tr["trivial"], tr["judgements"]) == (4, 1, 5) and tr["flagged"][0]["id"] == items[1].id


# ---------------------------------------------------------------- packets, stored figures
def test_exam_and_trivia_packets() -> None:
    items = make(8)
    assert all(set(r) == {"id", "question", "choices"} for r in make_packet(items, mode="exam"))
    rows = make_packet(items, mode="trivia")
    assert all(set(r) == {"id", "question", "choices", "answer"} for r in rows) and rows[1]["answer"] == "B"


def test_figures_stored_by_an_earlier_akb_read_as_key_checks() -> None:
    from akb.build.validity import load_validity

    v = load_validity()  # the shipped file may be of either shape
    assert v is not None and "key_checks" in v and "blind" not in v["verdicts"]
    old = {**validity(make(4)), "blind": {"n": 4, "correct": 4, "accuracy": 1.0, "items_answered": 4, "categories": {},
                                          "answered_by": [], "dates": None, "misses": ["x"]}}
    for k in ("key_checks", "difficulty", "trivia"):
        old.pop(k)
    old["verdicts"] = {**old["verdicts"], "blind": "missed"}
    new = upgrade(old)
    assert new is not None and new["key_checks"]["disagreements"] == ["x"] and new["verdicts"]["difficulty"] == "not measured"
    assert "blind" not in new["verdicts"] and "Key checks" in "\n".join(validity_markdown(old, make(4), load_taxonomy()))


# ---------------------------------------------------------------- the commands
def _file(tmp_path: Path, items: list[Item], name: str = "items.jsonl") -> Path:
    p = tmp_path / name
    p.write_text("".join(json.dumps(i.to_json()) + "\n" for i in items))
    return p


def _lines(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_exam_trivia_and_adjudication_commands(tmp_path: Path) -> None:
    items = make(40, cats=("technical",))
    src = _file(tmp_path, items)
    packet = tmp_path / "exam.jsonl"
    r = akb("build", "packet", str(src), "--out", str(packet), "--exam", "--sample", "35", "--seed", "3")
    assert r.returncode == 0, r.stderr
    rows = [json.loads(x) for x in packet.read_text().splitlines()]
    assert len(rows) == 35 and all(set(row) == {"id", "question", "choices"} for row in rows)
    by_id = {i.id: i for i in items}
    answers = [{"id": row["id"], "answer": wrong(by_id[row["id"]]) if k < 2 else by_id[row["id"]].answer, "confidence": "high"}
               for k, row in enumerate(rows)]
    ans = _lines(tmp_path / "answers.jsonl", answers)
    out = tmp_path / "examined.jsonl"
    r = akb("build", "answers", str(src), str(ans), "--exam", "--sample", "35", "--seed", "3", "--reviewer", EXAMINEE, "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "35 of 35 sampled items (stratified n=35 seed=3)" in r.stdout and "2 misses to adjudicate" in r.stdout
    # The wrong seed: answered ids outside the sample.
    r = akb("build", "answers", str(src), str(ans), "--exam", "--sample", "35", "--seed", "4", "--reviewer", EXAMINEE, "--out", str(out.with_suffix(".x")))
    assert "not in the sample (stratified n=35 seed=4)" in one_line_error(r)

    mpacket = tmp_path / "misses.jsonl"
    r = akb("build", "packet", str(out), "--out", str(mpacket), "--misses")
    assert r.returncode == 0, r.stderr
    open_misses = [json.loads(x) for x in mpacket.read_text().splitlines()]
    assert {m["id"] for m in open_misses} == {row["id"] for row in rows[:2]}
    assert open_misses[0]["answered"][0]["reviewer"] == EXAMINEE and "rationale" in open_misses[0]
    r = akb("build", "adjudicate", str(out), "--id", rows[0]["id"], "--verdict", "key-stands", "--note", "The key holds.", "--by", "person-1")
    assert r.returncode == 0, r.stderr
    r = akb("build", "adjudicate", str(out), "--id", rows[5]["id"], "--verdict", "key-stands", "--note", "x", "--by", "person-1")
    assert "no exam miss" in one_line_error(r)
    rulings = _lines(tmp_path / "rulings.jsonl", [{"id": rows[1]["id"], "verdict": "upheld", "note": "The key holds."}])
    assert f"{rulings}:1: field 'verdict'" in one_line_error(akb("build", "adjudicate", str(out), "--from", str(rulings), "--by", "person-1"))
    _lines(rulings, [{"id": rows[1]["id"], "verdict": "fix", "note": "Two options are defensible."}])
    r = akb("build", "adjudicate", str(out), "--from", str(rulings), "--by", "openai:gpt-5 (adjudicator)", "--kind", "model")
    assert r.returncode == 0, r.stderr

    tpacket = tmp_path / "trivia-packet.jsonl"
    r = akb("build", "packet", str(src), "--out", str(tpacket), "--trivia", "--sample", "35", "--seed", "3")
    assert r.returncode == 0, r.stderr
    assert all("answer" in json.loads(x) for x in tpacket.read_text().splitlines())
    judgements = _lines(tmp_path / "trivia.jsonl", [{"id": row["id"], "trivial": k == 0, "reason": "a clue in the stem" if k == 0 else ""}
                                                     for k, row in enumerate(rows)])
    r = akb("build", "answers", str(out), str(judgements), "--trivia", "--sample", "35", "--seed", "3", "--reviewer", "anthropic:claude-judge",
            "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "1 trivial or clued" in r.stdout

    vpath = tmp_path / "validity.json"
    r = akb("build", "validity", str(out), "--out", str(vpath))
    assert r.returncode == 0, r.stderr
    v = json.loads(vpath.read_text())
    d = v["difficulty"]
    assert d["n"] == 35 and d["key_stands"] == [rows[0]["id"]] and d["to_fix"] == [rows[1]["id"]]
    assert v["trivia"]["trivial"] == 1 and v["verdicts"]["difficulty"] == "not measured"
    r = akb("bench", "stats", str(out), "--validity", str(vpath))
    assert r.returncode == 0, r.stderr
    for text in ("Key checks", "Difficulty", "Trivial or clued", EXAMINEE, "1 to fix"):
        assert text in r.stdout
    # Neither the exam nor the rulings nor the judgements touched a status.
    from akb.bench.loader import load_items

    assert {i.review.status for i in load_items(out)} == {"model-reviewed"}


@pytest.mark.parametrize("rows, field, trivia", [
    ([{"id": "technical.signal_processing.001", "answer": "B"}, {"id": "technical.signal_processing.002", "answer": "E"}], "answer", False),
    ([{"id": "technical.signal_processing.001", "answer": "B", "why": "?"}], "why", False),
    ([{"id": "technical.signal_processing.001", "trivial": "yes", "reason": "r"}], "trivial", True),
    ([{"id": "technical.signal_processing.001", "trivial": False}, {"id": "technical.signal_processing.002", "trivial": True}], "reason", True),
    ([{"id": "technical.signal_processing.001", "trivial": False}, {"id": "technical.signal_processing.001", "trivial": False}], "id", True),
])
def test_a_bad_answer_line_is_one_error_naming_file_line_and_field(tmp_path: Path, rows: list[dict], field: str, trivia: bool) -> None:
    src = _file(tmp_path, make(4, cats=("technical",)))
    ans = _lines(tmp_path / "answers.jsonl", rows)
    err = one_line_error(akb("build", "answers", str(src), str(ans), "--trivia" if trivia else "--exam", "--sample", "320",
                             "--reviewer", EXAMINEE, "--out", str(tmp_path / "o.jsonl")))
    assert f"{ans}:{len(rows)}: field '{field}'" in err


# ---------------------------------------------------------------- an examinee model through the probe
def _examinee_answers(req: Any) -> str:
    """Answers question i with its key (keys cycle A-D), except every tenth question."""
    text = json.dumps(req.body)
    i = int(re.search(r"question number (\d+)", text).group(1))  # type: ignore[union-attr]
    return LETTERS[(i + (1 if i % 10 == 0 else 0)) % 4]


@pytest.mark.parametrize("examinee, same_family", [("openai:claude-examinee", True), ("openai:gpt-examinee", False)])
def test_a_model_sits_the_exam_on_the_packets_sample(tmp_path: Path, fake_api, monkeypatch: pytest.MonkeyPatch,
                                                    examinee: str, same_family: bool) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-exam")
    fake_api.answer = _examinee_answers
    items = make(80)
    src = _file(tmp_path, items)
    out = tmp_path / "examined.jsonl"
    r = akb("build", "review", str(src), "--exam", "--sample", "64", "--seed", "3", "--model", examinee,
            "--base-url", fake_api.openai_base_url, "--out", str(out))
    assert r.returncode == 0, r.stderr
    packet = tmp_path / "exam.jsonl"
    assert akb("build", "packet", str(src), "--out", str(packet), "--exam", "--sample", "64", "--seed", "3").returncode == 0
    sampled = {json.loads(x)["id"] for x in packet.read_text().splitlines()}
    done = [Item.model_validate(json.loads(x)) for x in out.read_text().splitlines()]
    exam = {i.id: r for i in done for r in i.review.reviews if r.mode == "exam"}
    assert set(exam) == sampled and len(sampled) == 64  # the packet's sample, no other item
    assert {r.sample for r in exam.values()} == {"stratified n=64 seed=3"} and {r.reviewer for r in exam.values()} == {examinee}
    expect_missed = {i.id for i in items if i.id in sampled and int(i.question.split()[-1].rstrip("?")) % 10 == 0}
    assert {k for k, r in exam.items() if r.blind_answer != next(i.answer for i in done if i.id == k)} == expect_missed
    assert f"; {len(expect_missed)} misses to adjudicate" in r.stdout and len(expect_missed) >= 5
    assert ("of the writers' model family (claude)" in r.stdout) is same_family
    d = compute_validity(done, load_taxonomy(), at=LATER)["difficulty"]
    assert d["n"] == 64 and d["correct"] == 64 - len(expect_missed)
    assert d["writer_families"] == ["claude"] and d["answered_by"][0]["writers_family"] is same_family
    card = "\n".join(validity_markdown(compute_validity(done, load_taxonomy(), at=LATER), done, load_taxonomy()))
    assert ("Every examinee so far is of the writers' model family (claude)" in card) is same_family
    assert all(i.review.status == "model-reviewed" for i in done)  # an exam never changes a status
    assert "sk-test-exam" not in out.read_text()


def test_the_exam_needs_a_sample_and_a_model_that_did_not_write_the_items(tmp_path: Path) -> None:
    src = _file(tmp_path, make(8))
    r = akb("build", "review", str(src), "--exam", "--model", "position:A", "--out", str(tmp_path / "o.jsonl"))
    assert "give --sample N" in one_line_error(r)
    r = akb("build", "review", str(src), "--exam", "--options-only", "--sample", "8", "--model", "position:A", "--out", str(tmp_path / "o.jsonl"))
    assert "different reviews" in one_line_error(r)
    r = akb("build", "review", str(src), "--exam", "--sample", "8", "--model", "anthropic:claude-writer", "--out", str(tmp_path / "o.jsonl"))
    assert "wrote some of these items" in one_line_error(r)
