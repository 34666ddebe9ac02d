"""Merging human decisions into item review records: statuses, letters, diffs, validation,
and the CLI commands that read the store (status, merge, adjudicate --list, import-db)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from akb.bench.items import LETTERS, Item
from akb.bench.loader import load_items
from akb.build.assemble import balance, written_order
from akb.cli.app import app
from akb.review.content import Edit, Shown, content_key
from akb.review.decision import make_decision
from akb.review.merge import merge_decisions, write_items
from akb.review.store import ReviewStore

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def items() -> list[Item]:
    return [i for i in load_items() if i.category == "audio_quality"][:5]


def dec(it: Item, reviewer: str, verdict: str = "accept", blind: str | None = None, minutes: int = 0, **kw):
    return make_decision(Shown.of(it), reviewer=reviewer, verdict=verdict, blind_answer=blind,
                         at=T0 + timedelta(minutes=minutes), **kw)


def human(it: Item) -> list:
    return [r for r in it.review.reviews if r.kind == "human"]


def test_statuses_from_decisions(items: list[Item]) -> None:
    a, b, c, d, e = items
    edit = list(b.choices)
    j = next(k for k in range(4) if k != b.answer_index)
    edit[j] = "Tape hiss from the mastering chain"
    decisions = [
        dec(a, "alice", blind=a.answer),
        dec(b, "alice", "edit", blind=b.answer, note="distractor too close to the key",
            edit=Edit(question=b.question, choices=edit, answer=b.answer, rationale=b.rationale)),
        dec(c, "alice", "reject", blind="A", note="two defensible answers"),
        dec(d, "alice", blind=d.answer), dec(d, "bob", "reject", blind=d.answer, note="dated term", minutes=1),
    ]
    merged, rep = merge_decisions(items, decisions)
    ma, mb, mc, md, me = merged
    assert ma.review.status == "human-verified" and human(ma)[0].blind_answer == a.answer
    assert mb.review.status == "human-verified" and "Tape hiss from the mastering chain" in mb.choices
    assert b.choices[j] not in mb.choices and mb.answer == b.answer and mb.question == b.question
    note = human(mb)[0].note or ""
    assert note.startswith("distractor too close to the key")
    assert f"-{LETTERS[j]}. {b.choices[j]}" in note and f"+{LETTERS[j]}. Tape hiss from the mastering chain" in note
    assert mc.review.status == "rejected" and human(mc)[0].note == "two defensible answers"
    assert md.review.status == d.review.status and len(human(md)) == 2  # disagreement: status left alone
    assert me == e
    assert (rep.verified, rep.edited, rep.rejected, rep.disagreed) == ([a.id, b.id], [b.id], [c.id], [d.id])
    for m in merged:  # human-verified only ever stands on accepting human reviews
        if m.review.status == "human-verified":
            assert human(m) and all(r.verdict in ("accept", "edit") for r in human(m))
    # the model review that was there stays, the human ones follow it
    assert [r.kind for r in ma.review.reviews][-1] == "human" and len(ma.review.reviews) == len(a.review.reviews) + 1


def test_required_two_and_adjudication(items: list[Item]) -> None:
    a = items[0]
    one = [dec(a, "alice", blind=a.answer)]
    merged, rep = merge_decisions([a], one, required=2)
    assert merged[0].review.status == a.review.status and rep.pending == [a.id]
    assert human(merged[0])[0].verdict == "accept"  # the decision is recorded all the same
    two = [*one, dec(a, "bob", blind=a.answer, minutes=1)]
    assert merge_decisions([a], two, required=2)[0][0].review.status == "human-verified"
    split = [*one, dec(a, "bob", "reject", note="misleading stem", minutes=1)]
    assert merge_decisions([a], split, required=2)[0][0].review.status == a.review.status
    adj = make_decision(Shown.of(a), reviewer="carol", verdict="reject", note="agree with bob", role="adjudication",
                        at=T0 + timedelta(minutes=9))
    merged, rep = merge_decisions([a], [*split, adj], required=2)
    assert merged[0].review.status == "rejected" and rep.rejected == [a.id]
    last = human(merged[0])[-1]
    assert last.reviewer == "carol" and last.blind_answer is None and "adjudication of: verdicts differ" in (last.note or "")


def test_blind_letters_follow_the_file_order_and_edits_land_in_it(items: list[Item]) -> None:
    seen = balance(items, salt="order-the-reviewer-saw")
    target = balance(items, salt="order-of-the-release")
    assert any(s.choices != t.choices for s, t in zip(seen, target, strict=True))
    decisions = [dec(s, "alice", blind=LETTERS[(s.answer_index + 1) % 4]) for s in seen]
    s0 = seen[0]
    choices = list(s0.choices)
    new_key = (s0.answer_index + 2) % 4  # the reviewer decides the key is another option
    decisions[0] = dec(s0, "alice", "edit", blind=s0.answer,
                       edit=Edit(question=s0.question, choices=choices, answer=LETTERS[new_key], rationale="corrected"))
    merged, rep = merge_decisions(target, decisions)
    for s, t, m in zip(seen[1:], target[1:], merged[1:], strict=True):
        chosen_text = s.choices[(s.answer_index + 1) % 4]
        assert t.choices[LETTERS.index(human(m)[0].blind_answer)] == chosen_text
    m0 = merged[0]
    assert m0.choices == target[0].choices  # same slots as the file, not as the reviewer saw
    assert m0.answer_text == s0.choices[new_key] and m0.rationale == "corrected"
    assert m0.choices[LETTERS.index(human(m0)[0].blind_answer)] == s0.answer_text
    assert written_order(m0)[0] == m0.answer_text  # a later re-balance keeps the new key


def test_stale_decisions_and_idempotent_merge(tmp_path: Path, items: list[Item]) -> None:
    a, b = items[0], items[1]
    reworded = a.model_copy(update={"question": a.question + " Explain briefly."})
    decisions = [dec(a, "alice", blind=a.answer), dec(b, "alice", blind=b.answer), dec(items[2], "bob")]
    merged, rep = merge_decisions([reworded, b], decisions)
    assert merged[0] == reworded and rep.stale == [(a.id, "alice")]
    assert rep.unknown == [items[2].id]
    once, _ = merge_decisions([a, b], decisions)
    twice, rep2 = merge_decisions(once, decisions)
    assert twice == once and rep2.added_reviews == 0
    written = write_items(twice, tmp_path / "out.jsonl")  # validated by the loader
    assert [i.review.status for i in written] == ["human-verified", "human-verified"]


# ---------------------------------------------------------------- CLI


@pytest.fixture
def db(tmp_path: Path, items: list[Item]) -> Path:
    path = tmp_path / "review.sqlite"
    with ReviewStore(path) as s:
        s.set_items(items, source="test")
        a, b, c = items[0], items[1], items[2]
        s.add_many([dec(a, "alice", blind=a.answer), dec(a, "bob", blind=a.answer, minutes=1),
                    dec(b, "alice", blind="A"), dec(b, "bob", blind="B", minutes=1),
                    dec(c, "alice", "reject", blind=c.answer, note="outdated"),
                    dec(c, "bob", "reject", blind=c.answer, note="outdated", minutes=1)])
    return path


def test_cli_status_merge_and_adjudicate_list(tmp_path: Path, db: Path, items: list[Item]) -> None:
    r = CliRunner().invoke(app, ["review", "status", "--db", str(db), "--json"])
    assert r.exit_code == 0, r.output
    rep = json.loads(r.output)
    assert rep["states"] == {"undecided": 2, "pending": 0, "agreed": 2, "disagreed": 1, "adjudicated": 0}
    blind = rep["agreement"]["blind_answer"]["pairs"][0]
    assert blind["raters"] == ["alice", "bob"] and blind["n_items"] == 3 and blind["raw"] == pytest.approx(2 / 3)
    verdict = rep["agreement"]["verdict"]["pairs"][0]
    assert verdict["raw"] == 1.0 and verdict["kappa"] == pytest.approx(1.0)
    r = CliRunner().invoke(app, ["review", "status", "--db", str(db)])
    assert r.exit_code == 0 and "alice + bob" in r.output and "await adjudication" in r.output
    r = CliRunner().invoke(app, ["review", "adjudicate", "--db", str(db), "--list"])
    assert r.exit_code == 0 and items[1].id in r.output and "blind answers differ" in r.output
    out = tmp_path / "merged.jsonl"
    r = CliRunner().invoke(app, ["review", "merge", "--db", str(db), "--out", str(out), "--required", "2", "--drop-rejected"])
    assert r.exit_code == 0, r.output
    merged = {i.id: i for i in load_items(out)}
    assert items[2].id not in merged and merged[items[0].id].review.status == "human-verified"
    assert merged[items[1].id].review.status == items[1].review.status
    assert "1 human-verified" in r.output and "1 awaiting adjudication" in r.output


def test_cli_import_db_and_errors(tmp_path: Path, db: Path, items: list[Item]) -> None:
    other = tmp_path / "carol.sqlite"
    with ReviewStore(other) as s:
        s.add(dec(items[3], "carol", blind=items[3].answer))
    r = CliRunner().invoke(app, ["review", "import-db", str(other), "--db", str(db)])
    assert r.exit_code == 0 and "1 new decisions" in r.output
    with ReviewStore(db) as s:
        assert any(d.reviewer == "carol" and d.content_key == content_key(items[3]) for d in s.decisions())
    r = CliRunner().invoke(app, ["review", "adjudicate", "--db", str(tmp_path / "empty.sqlite"), "--list"])
    assert r.exit_code != 0 and "holds no items" in str(r.exception)
