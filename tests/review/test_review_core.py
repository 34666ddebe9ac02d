"""The review store, queue, consensus rules and agreement statistics (no server)."""

from __future__ import annotations

import math
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from pydantic import ValidationError

from akb.bench.items import LETTERS, Item
from akb.bench.loader import load_items
from akb.build.assemble import balance, written_order
from akb.core.errors import DataError
from akb.review.agreement import agreement_table, cohen_kappa, fleiss_kappa, reviewer_stats
from akb.review.consensus import consensus
from akb.review.content import (
    Edit,
    EditError,
    Shown,
    apply_edit,
    content_key,
    edit_in_target_order,
    letter_in,
)
from akb.review.decision import make_decision
from akb.review.queue import (
    QueueFilter,
    adjudication_queue,
    next_disagreement,
    next_item,
    review_queue,
)
from akb.review.store import SCHEMA_VERSION, ReviewStore

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def items() -> list[Item]:
    shipped = load_items()
    # two categories, so category filters have something to filter
    return [*[i for i in shipped if i.category == "phonetic"][:3], *[i for i in shipped if i.category == "technical"][:3]]


@pytest.fixture
def store(tmp_path: Path, items: list[Item]) -> ReviewStore:
    s = ReviewStore(tmp_path / "review.sqlite")
    s.set_items(items, source="test")
    return s


def dec(it: Item | Shown, reviewer: str, verdict: str = "accept", blind: str | None = None, minutes: int = 0, **kw):
    shown = it if isinstance(it, Shown) else Shown.of(it)
    return make_decision(shown, reviewer=reviewer, verdict=verdict, blind_answer=blind,
                         at=T0 + timedelta(minutes=minutes), **kw)


def distractor_edit(it: Item, text: str = "A plainly different option") -> Edit:
    choices = list(it.choices)
    j = next(k for k in range(4) if k != it.answer_index)
    choices[j] = text
    return Edit(question=it.question, choices=choices, answer=it.answer, rationale=it.rationale)


# ---------------------------------------------------------------- content


def test_content_key_ignores_option_order_but_not_text(items: list[Item]) -> None:
    it = items[0]
    rotated = it.model_copy(update={"choices": it.choices[1:] + it.choices[:1],
                                    "answer": LETTERS[(it.answer_index - 1) % 4]})
    assert content_key(rotated) == content_key(it)
    assert content_key(it.model_copy(update={"question": it.question + " Really?"})) != content_key(it)
    assert content_key(it.model_copy(update={"answer": LETTERS[(it.answer_index + 1) % 4]})) != content_key(it)


def test_edit_goes_through_the_item_validator(items: list[Item]) -> None:
    it = items[0]
    dup = list(it.choices)
    dup[1] = dup[0].upper()
    with pytest.raises(EditError, match="same text"):
        apply_edit(it, Edit(question=it.question, choices=dup, answer="A", rationale=""))
    with pytest.raises(EditError, match="exactly 4 choices"):
        apply_edit(it, Edit(question=it.question, choices=it.choices[:3], answer="A", rationale=""))
    with pytest.raises(EditError, match="changes nothing"):
        apply_edit(it, Edit(question=it.question, choices=list(it.choices), answer=it.answer, rationale=it.rationale))
    with pytest.raises(ValidationError):
        Edit(question="q", choices=["a", "b", "c", "d"], answer="E")  # type: ignore[arg-type]
    # a decision refuses a bad edit too, so nothing invalid reaches the store
    with pytest.raises(ValidationError, match="same text"):
        dec(it, "alice", "edit", edit=Edit(question=it.question, choices=dup, answer="A", rationale=""))
    with pytest.raises(ValidationError, match="reason is required"):
        dec(it, "alice", "reject")


def test_edit_in_another_option_order_keeps_slots_and_repairs_option_order(items: list[Item]) -> None:
    it = balance([items[0]], salt="s1")[0]
    other = balance([items[0]], salt="other-salt")[0]  # same content, another order
    assert content_key(other) == content_key(it)
    shown = Shown.of(it)
    # change the key to what was a distractor, and reword another distractor
    new_key = next(k for k in range(4) if k != it.answer_index)
    choices = list(it.choices)
    reword = next(k for k in range(4) if k not in (it.answer_index, new_key))
    choices[reword] = "A reworded distractor"
    edited = apply_edit(shown, Edit(question=it.question, choices=choices, answer=LETTERS[new_key], rationale="new"))
    out = edit_in_target_order(other, shown, edited)
    Item.model_validate(out.to_json())
    assert out.answer_text == it.choices[new_key]
    assert "A reworded distractor" in out.choices and it.choices[reword] not in out.choices
    # the repaired option_order still reads back with the key as written option 0
    assert written_order(out)[0] == out.answer_text
    assert sorted(written_order(out)) == sorted(out.choices)
    # blind letters follow the option text into the other order
    for k, L in enumerate(LETTERS):
        assert other.choices[LETTERS.index(letter_in(other.choices, shown, L))] == it.choices[k]


# ---------------------------------------------------------------- store


def test_store_schema_version_wal_and_idempotent_add(tmp_path: Path, items: list[Item]) -> None:
    path = tmp_path / "r.sqlite"
    s = ReviewStore(path)
    s.set_items(items, source="test")
    assert [x.id for x in s.items()] == [i.id for i in items]
    d = dec(items[0], "alice", blind="A")
    assert s.add(d) is True
    assert s.add(d) is False  # same uid
    assert s.decisions() == [d]
    s.close()
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert con.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0] == str(SCHEMA_VERSION)
    con.execute("UPDATE meta SET value = ? WHERE key='schema_version'", (str(SCHEMA_VERSION + 1),))
    con.commit()
    con.close()
    with pytest.raises(DataError, match="newer than this akb"):
        ReviewStore(path)
    (tmp_path / "junk.sqlite").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(DataError, match="not a review database"):
        ReviewStore(tmp_path / "junk.sqlite")


def test_reveal_locks_the_first_blind_answer(store: ReviewStore, items: list[Item]) -> None:
    key = content_key(items[0])
    assert store.revealed("alice", items[0].id, key) == (False, None)
    assert store.reveal("alice", items[0].id, key, "B") == "B"
    assert store.reveal("alice", items[0].id, key, "C") == "B"  # cannot change it after seeing the key
    assert store.revealed("alice", items[0].id, key) == (True, "B")
    assert store.revealed("bob", items[0].id, key) == (False, None)


def test_import_from_another_store(tmp_path: Path, store: ReviewStore, items: list[Item]) -> None:
    other = ReviewStore(tmp_path / "bob.sqlite")
    other.add_many([dec(items[0], "bob"), dec(items[1], "bob", "reject", note="ambiguous")])
    assert store.import_from(other) == 2
    assert store.import_from(other) == 0
    assert {d.reviewer for d in store.decisions()} == {"bob"}


# ---------------------------------------------------------------- queue


def test_queue_order_filters_skip_and_progress(store: ReviewStore, items: list[Item]) -> None:
    it, p = next_item(store, "alice")
    assert it is not None and it.id == items[0].id and (p.done, p.total) == (0, 6)
    assert next_item(store, "alice", after=items[0].id)[0].id == items[1].id  # type: ignore[union-attr]
    assert next_item(store, "alice", after=items[-1].id)[0].id == items[0].id  # type: ignore[union-attr]  # wraps
    store.add(dec(items[0], "alice", blind="A"))
    it, p = next_item(store, "alice")
    assert it.id == items[1].id and (p.done, p.total) == (1, 6)  # type: ignore[union-attr]
    tech = QueueFilter(categories=frozenset({"technical"}))
    todo, p = review_queue(store, "alice", tech)
    assert [t.id for t in todo] == [i.id for i in items[3:]] and (p.done, p.total) == (0, 3)
    assert review_queue(store, "alice", QueueFilter(statuses=frozenset({"draft"})))[0] == []
    # bob still sees item 0; with max_reviews=1 he skips what alice did
    assert next_item(store, "bob")[0].id == items[0].id  # type: ignore[union-attr]
    assert next_item(store, "bob", QueueFilter(max_reviews=1))[0].id == items[1].id  # type: ignore[union-attr]


def test_an_item_changed_since_the_decision_comes_back(tmp_path: Path, store: ReviewStore, items: list[Item]) -> None:
    store.add(dec(items[0], "alice"))
    assert next_item(store, "alice")[0].id == items[1].id  # type: ignore[union-attr]
    changed = [items[0].model_copy(update={"question": items[0].question + " (reworded)"}), *items[1:]]
    store.set_items(changed, source="v2")
    assert next_item(store, "alice")[0].id == items[0].id  # type: ignore[union-attr]
    # a re-balanced file (same content, other letters) keeps the decision
    store.set_items(balance(items, salt="another"), source="v3")
    assert next_item(store, "alice")[0].id != items[0].id  # type: ignore[union-attr]


def test_adjudication_queue(store: ReviewStore, items: list[Item]) -> None:
    a, b, c = items[0], items[1], items[2]
    store.add_many([dec(a, "alice", blind=a.answer), dec(a, "bob", "reject", blind=a.answer, note="two keys", minutes=1),
                    dec(b, "alice", blind="A"), dec(b, "bob", blind="B", minutes=1),
                    dec(c, "alice", blind=c.answer), dec(c, "bob", blind=c.answer, minutes=1)])
    queue = adjudication_queue(store)
    assert [it.id for it, _ in queue] == [a.id, b.id]
    assert "verdicts differ" in queue[0][1].reasons[0]
    assert "blind answers differ" in queue[1][1].reasons[0]
    store.add(make_decision(Shown.of(a), reviewer="carol", verdict="accept", role="adjudication", at=T0 + timedelta(minutes=5)))
    found, p = next_disagreement(store)
    assert found is not None and found[0].id == b.id and (p.done, p.total) == (1, 2)


# ---------------------------------------------------------------- consensus


def test_consensus_rules(items: list[Item]) -> None:
    it = items[0]
    assert consensus([]).state == "undecided"
    one = dec(it, "alice", blind=it.answer)
    assert consensus([one]).state == "agreed"
    assert consensus([one], required=2).state == "pending"
    two = dec(it, "bob", blind=it.answer, minutes=1)
    c = consensus([one, two], required=2)
    assert (c.state, c.verdict) == ("agreed", "accept")
    # the latest decision of a reviewer counts
    changed = dec(it, "bob", "reject", note="on reflection, ambiguous", minutes=2)
    c = consensus([one, two, changed], required=2)
    assert c.state == "disagreed" and "verdicts differ" in c.reasons[0]
    # blind answers compared by option text: a reviewer who saw another order agrees
    # (the first salt that actually reorders this item's options: any fixed salt can leave
    # some item as it is)
    other = next(o for k in range(50) if (o := balance([it], salt=f"zzz{k}")[0]).choices != it.choices)
    same_option = dec(Shown.of(other), "bob", blind=letter_in(other.choices, Shown.of(it), it.answer))
    assert consensus([one, same_option], required=2).state == "agreed"
    # conflicting edits
    e1 = dec(it, "alice", "edit", edit=distractor_edit(it, "First rewording"))
    e2 = dec(it, "bob", "edit", edit=distractor_edit(it, "Second rewording"), minutes=1)
    assert any("edits differ" in r for r in consensus([e1, e2]).reasons)
    e3 = dec(it, "bob", "edit", edit=distractor_edit(it, "First rewording"), minutes=1)
    assert consensus([e1, e3], required=2).state == "agreed"
    # an adjudication settles it only while it is the newest word
    adj = make_decision(Shown.of(it), reviewer="carol", verdict="reject", note="two defensible keys", role="adjudication",
                        at=T0 + timedelta(minutes=3))
    c = consensus([one, two, changed, adj], required=2)
    assert (c.state, c.verdict) == ("adjudicated", "reject")
    late = dec(it, "dave", blind=it.answer, minutes=4)
    assert consensus([one, two, changed, adj, late], required=2).state == "disagreed"


# ---------------------------------------------------------------- agreement


def test_cohen_kappa_hand_computed() -> None:
    # 50 items: both yes 20, yes/no 5, no/yes 10, both no 15.
    # p_o = 35/50 = 0.7; p_e = 0.5*0.6 + 0.5*0.4 = 0.5; kappa = 0.2/0.5 = 0.4
    a = ["yes"] * 25 + ["no"] * 25
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    k = cohen_kappa(a, b)
    assert (k.n_items, k.raw) == (50, 0.7)
    assert k.kappa == pytest.approx(0.4)
    # perfect agreement over two categories is 1; systematic swap is negative
    assert cohen_kappa(["A", "B"], ["A", "B"]).kappa == pytest.approx(1.0)
    assert cohen_kappa(["A", "B"], ["B", "A"]).kappa == pytest.approx(-1.0)


def test_cohen_kappa_matches_sklearn_when_installed() -> None:
    sk = pytest.importorskip("sklearn.metrics")
    a = list("AABBCCDDABCDAABBDC")
    b = list("ABBBCDDDABCAAACBDC")
    assert cohen_kappa(a, b).kappa == pytest.approx(sk.cohen_kappa_score(a, b))


def test_kappa_undefined_when_one_category_only() -> None:
    k = cohen_kappa(["accept"] * 5, ["accept"] * 5)
    assert k.kappa is None and k.raw == 1.0 and "undefined" in (k.note or "")
    f = fleiss_kappa([["accept", "accept"]] * 4)
    assert f.kappa is None and f.raw == 1.0 and "undefined" in (f.note or "")
    empty = cohen_kappa([], [])
    assert empty.kappa is None and empty.raw is None and empty.n_items == 0


def test_fleiss_kappa_hand_computed() -> None:
    # Fleiss (1971) worked example as tabulated in most textbooks: 10 subjects, 14 raters,
    # 5 categories; P-bar = 0.378, P_e = 0.213, kappa = 0.210.
    table = [[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
             [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]]
    ratings = [[str(j) for j, n in enumerate(row) for _ in range(n)] for row in table]
    f = fleiss_kappa(ratings)
    assert f.n_items == 10 and f.n_ratings == 140
    assert f.raw == pytest.approx(0.378, abs=5e-4)
    assert f.kappa == pytest.approx(0.210, abs=5e-4)
    # varying raters: [A,A], [A,B,B], [B,B]: P-bar = 7/9, P_e = 25/49, kappa = 118/216
    v = fleiss_kappa([["A", "A"], ["A", "B", "B"], ["B", "B"], ["A"]])
    assert v.n_items == 3  # the single rating is left out
    assert v.kappa == pytest.approx(118 / 216)


def test_agreement_table_compares_options_across_orders(items: list[Item]) -> None:
    it1, it2, it3 = items[0], items[1], items[2]
    moved = balance([it1], salt="yet-another")[0]
    ds = [
        dec(it1, "alice", blind=it1.answer),
        dec(Shown.of(moved), "bob", blind=moved.answer),  # same option, another letter
        dec(it2, "alice", blind="A"), dec(it2, "bob", blind="B", minutes=1),
        dec(it3, "alice", "reject", blind="C", note="unclear"), dec(it3, "bob", blind="C"),
        dec(it3, "carol", blind="C"),
    ]
    current = {i.id: Shown.of(i) for i in items}
    t = agreement_table(ds, "blind_answer", current)
    ab = next(p for p in t.pairs if p.raters == ("alice", "bob"))
    assert (ab.n_items, ab.raw) == (3, pytest.approx(2 / 3))
    assert t.overall is not None and t.overall.n_items == 3 and t.overall.n_ratings == 7
    v = agreement_table(ds, "verdict", current)
    ab = next(p for p in v.pairs if p.raters == ("alice", "bob"))
    assert ab.raw == pytest.approx(2 / 3) and ab.kappa is not None and not math.isnan(ab.kappa)
    stats = {s.reviewer: s for s in reviewer_stats(ds)}
    assert (stats["alice"].decided, stats["alice"].reject, stats["alice"].blind) == (3, 1, 3)
    assert stats["bob"].blind_on_key == 1 + (it2.answer == "B") + (it3.answer == "C")
