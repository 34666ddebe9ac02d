"""The review page in a real headless Chromium: a reviewer answers blind, accepts, edits a
distractor (after a bad edit is refused on the page) and rejects with a reason; then an
adjudicator settles a disagreement. The SQLite store and the merged items are checked."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

import pytest

from akb.bench.items import LETTERS, Item
from akb.bench.loader import load_items
from akb.review.content import Shown
from akb.review.decision import make_decision
from akb.review.merge import merge_decisions, write_items
from akb.review.server import ReviewConfig, ReviewServer
from akb.review.store import ReviewStore

pytest.importorskip("starlette")

from browser import chromium_page, unavailable  # noqa: E402

if (why := unavailable()) is not None:
    if os.environ.get("CI"):
        pytest.fail(f"browser tests must run in CI: {why}", pytrace=False)
    pytest.skip(why, allow_module_level=True)

from playwright.sync_api import expect  # noqa: E402


@pytest.fixture(scope="module")
def items() -> list[Item]:
    return [i for i in load_items() if i.category == "phonetic"][:3]


def human(it: Item) -> list:
    return [r for r in it.review.reviews if r.kind == "human"]


def test_click_through_accept_edit_reject_then_adjudicate(tmp_path: Path, items: list[Item]) -> None:
    a, b, c = items
    store = ReviewStore(tmp_path / "review.sqlite")
    store.set_items(items, source="items.jsonl")
    j = next(k for k in range(4) if k != b.answer_index)  # the distractor alice rewrites
    new_distractor = "A distractor rewritten in the browser"
    with ReviewServer(store, ReviewConfig()) as srv, chromium_page() as page:
        page.goto(srv.login_url)
        assert "token" not in page.url  # redirected to a clean URL, the cookie holds the token
        page.fill("#reviewer-input", "alice")
        page.click("#reviewer-save")
        page.wait_for_selector("#item:not(.hidden)")
        assert page.inner_text("#reviewer-name") == "alice"
        assert page.inner_text("#progress") == "0 of 3 decided"

        # item 1: blind answer by click, key revealed, accept
        assert page.inner_text("#item-id") == a.id
        assert page.is_hidden("#reveal") and page.is_disabled("#accept")
        assert a.rationale not in page.content()  # the key is not in the page before the blind answer
        blind_a = LETTERS[(a.answer_index + 1) % 4]
        page.click(f"#option-{blind_a}")
        page.wait_for_selector("#reveal:not(.hidden)")
        assert f"differs from the key {a.answer}" in page.inner_text("#blind-result")
        assert a.rationale in page.inner_text("#rationale")
        assert page.get_attribute(f"#options li[data-letter='{a.answer}']", "class") == "key"
        page.click("#accept")
        expect(page.locator("#item-id")).to_have_text(b.id)
        assert page.inner_text("#progress") == "1 of 3 decided"

        # item 2: blind answer by keyboard, a bad edit is refused on the page, then a good one
        page.keyboard.press(str(b.answer_index + 1))
        page.wait_for_selector("#reveal:not(.hidden)")
        assert "matches the key" in page.inner_text("#blind-result")
        page.click("#edit")
        other = next(k for k in range(4) if k not in (j, b.answer_index))
        page.fill(f"#edit-{LETTERS[j]}", b.choices[other])  # duplicates another option
        page.click("#edit-save")
        page.wait_for_selector("#error:not(.hidden)")
        assert "same text" in page.inner_text("#error")
        assert page.inner_text("#item-id") == b.id and store.decisions(reviewer="alice")[-1].item_id == a.id
        page.fill(f"#edit-{LETTERS[j]}", new_distractor)
        page.fill("#edit-note", "the old distractor was too close to the key")
        page.click("#edit-save")
        expect(page.locator("#item-id")).to_have_text(c.id)
        assert f"+{LETTERS[j]}. {new_distractor}" in page.inner_text("#flash")

        # item 3: reject needs a reason
        page.click("#show-key")  # seen without a blind answer
        page.wait_for_selector("#reveal:not(.hidden)")
        page.click("#reject")
        page.click("#reject-save")
        assert "reason is required" in page.inner_text("#error")
        page.fill("#reject-reason", "two options are defensible")
        page.click("#reject-save")
        page.wait_for_selector("#done:not(.hidden)")
        assert page.inner_text("#progress") == "3 of 3 decided"

    ds = store.decisions()
    assert [(d.item_id, d.reviewer, d.verdict, d.blind_answer) for d in ds] == [
        (a.id, "alice", "accept", blind_a), (b.id, "alice", "edit", b.answer), (c.id, "alice", "reject", None)]
    assert ds[1].edit is not None and ds[1].edit.choices[j] == new_distractor
    assert ds[1].note == "the old distractor was too close to the key"
    assert ds[2].note == "two options are defensible"

    merged = {i.id: i for i in write_items(merge_decisions(items, ds)[0], tmp_path / "merged.jsonl")}
    assert merged[a.id].review.status == "human-verified" and human(merged[a.id])[0].blind_answer == blind_a
    mb = merged[b.id]
    assert mb.review.status == "human-verified" and mb.choices[j] == new_distractor and mb.answer == b.answer
    assert f"-{LETTERS[j]}. {b.choices[j]}" in (human(mb)[0].note or "")
    assert merged[c.id].review.status == "rejected" and human(merged[c.id])[0].note == "two options are defensible"

    # a second reviewer disagrees on item 1; the adjudicator settles it in the same page
    store.add(make_decision(Shown.of(a), reviewer="bob", verdict="reject", blind_answer=a.answer,
                            note="the stem gives the answer away", at=datetime.now(timezone.utc)))
    with ReviewServer(store, ReviewConfig(mode="adjudicate", reviewer="carol")) as srv, chromium_page() as page:
        page.goto(srv.login_url)
        page.wait_for_selector("#item:not(.hidden)")
        assert page.inner_text("#item-id") == a.id and page.inner_text("#mode") == "adjudication queue"
        panel = page.inner_text("#decisions")
        assert "alice: accept" in panel and "bob: reject" in panel and "verdicts differ" in panel
        assert page.is_visible("#reveal") and not page.is_visible("#show-key")
        page.click("#accept")
        page.wait_for_selector("#done:not(.hidden)")
        assert "No disagreements" in page.inner_text("#done")
    adj = store.decisions(reviewer="carol")
    assert [(d.role, d.verdict, d.blind_answer) for d in adj] == [("adjudication", "accept", None)]
    final = {i.id: i for i in merge_decisions(items, store.decisions(), required=2)[0]}
    assert final[a.id].review.status == "human-verified"
    assert [r.reviewer for r in human(final[a.id])] == ["alice", "bob", "carol"]
