"""The canonical prompt, the few-shot pool and stratified sampling."""

from __future__ import annotations

from collections import Counter

import pytest

from akb.bench.fewshot import fewshot_items, fewshot_pool, shots_for
from akb.bench.loader import load_items
from akb.bench.prompts import (
    DEFAULT_SYSTEM,
    PromptConfig,
    build_messages,
    jinja_doc_to_text,
    prompt_hash,
    render_plain,
    render_user,
)
from akb.bench.sampling import allocate, stratified_sample
from akb.core.errors import ConfigError


def test_canonical_prompt_layout() -> None:
    msgs = build_messages("Which is loudest?", ["a", "b", "c", "d"])
    assert msgs == [{"role": "system", "content": DEFAULT_SYSTEM},
                    {"role": "user", "content": "Question: Which is loudest?\nA. a\nB. b\nC. c\nD. d\n"
                     "Answer with the letter of the correct option (A, B, C or D) only.\nAnswer:"}]
    assert DEFAULT_SYSTEM.endswith("\n\n")  # lm-eval glues the description onto the question
    assert render_plain(msgs) == DEFAULT_SYSTEM + msgs[1]["content"]
    three = build_messages("Q?", ["x", "y", "z"])[1]["content"]
    assert "C. z\nAnswer with the letter of the correct option (A, B or C) only." in three
    assert prompt_hash(msgs) != prompt_hash(build_messages("Which is loudest?", ["b", "a", "c", "d"]))


def test_jinja_export_renders_the_same_bytes_for_every_item() -> None:
    """lm-eval's doc_to_text, rendered by lm-eval's own Jinja, equals akb's user text."""
    pytest.importorskip("lm_eval")
    from lm_eval.utils import apply_template

    tpl = jinja_doc_to_text()
    for it in load_items():
        doc = {"question": it.question, "choices": it.choices}
        assert apply_template(tpl, doc) == render_user(it.question, it.choices), it.id
    cot = PromptConfig(cot=True)
    it = load_items()[0]
    assert apply_template(jinja_doc_to_text(cot), {"question": it.question, "choices": it.choices}) == \
        build_messages(it.question, it.choices, cot)[1]["content"]


def test_fewshot_pool_is_fixed_outside_the_test_items_and_taken_in_order() -> None:
    pool = fewshot_pool()
    items = load_items()
    assert len(pool) == 6 and len({p.category for p in pool}) == 6
    assert [p.answer for p in pool] == ["A", "B", "C", "D", "A", "B"]
    ids, questions = {i.id for i in items}, {i.question for i in items}
    assert not any(p.id in ids or p.question in questions for p in pool)
    assert [s.id for s in fewshot_items(3, items)] == [p.id for p in pool[:3]]
    user = build_messages("Q?", ["a", "b", "c", "d"], shots=shots_for(2))[1]["content"]
    assert user.startswith(f"Question: {pool[0].question}\n") and "\nAnswer: A\n\nQuestion: " in user
    assert user.count("Question:") == 3 and user.endswith("Answer:")
    with pytest.raises(ConfigError, match="between 0 and 6"):
        fewshot_items(7)
    with pytest.raises(ConfigError, match="also test items"):
        fewshot_items(1, [pool[0]])


def test_stratified_sample_covers_every_category_in_proportion() -> None:
    items = load_items()
    s = stratified_sample(items, 100, seed=3)
    got = Counter(i.category for i in s)
    sizes = Counter(i.category for i in items)
    assert sum(got.values()) == 100 and set(got) == set(sizes)
    for c, n in sizes.items():
        assert abs(got[c] - 100 * n / len(items)) < 1
    assert s == stratified_sample(items, 100, seed=3) and s != stratified_sample(items, 100, seed=4)
    order = {i.id: k for k, i in enumerate(items)}
    assert [order[i.id] for i in s] == sorted(order[i.id] for i in s)  # file order kept
    assert allocate({"a": 5, "b": 5}, 3) == {"a": 2, "b": 1} and sum(allocate({"a": 1}, 10).values()) == 1
    first = items[:100]  # --limit: the first N, which is not a stratified sample
    assert len({i.category for i in first}) < 6
