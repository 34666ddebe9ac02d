"""Token-budget batching and shared-prefix reuse in the hf backend: same numbers, fewer FLOPs."""

from __future__ import annotations

from pathlib import Path

import pytest

from akb.models._batching import common_prefix_len, padding_share, plan_batches

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from akb.bench.loader import load_items  # noqa: E402
from akb.models.registry import create_backend  # noqa: E402
from akb.models.spec import ModelConfig  # noqa: E402
from akb.runs.probe import ProbeConfig, build_tasks  # noqa: E402
from tiny_lm import build_tiny_lm  # noqa: E402


def test_common_prefix_leaves_a_token_in_every_suffix() -> None:
    assert common_prefix_len([[1, 2, 3, 4], [1, 2, 3, 5], [1, 2, 3, 4, 6]]) == 3
    assert common_prefix_len([[1, 2], [1, 2]]) == 1  # identical prompts keep one token each
    assert common_prefix_len([[1, 2], [3, 2]]) == 0
    assert common_prefix_len([[1, 2, 3]]) == 0


def test_plan_batches_respects_budget_and_sorts_by_tokens() -> None:
    lengths = [5, 100, 7, 98, 6, 99, 300]
    batches = plan_batches(lengths, budget=300)
    assert sorted(i for b in batches for i in b.rows) == list(range(len(lengths)))
    for b in batches:
        assert b.width == max(lengths[i] for i in b.rows)
        assert b.padded_tokens <= 300 or len(b.rows) == 1  # an over-long row goes alone
    assert batches[0].rows == [6]  # the longest first: memory errors surface at once
    assert padding_share(batches, lengths) < 0.05
    assert all(len(b.rows) <= 2 for b in plan_batches(lengths, budget=10_000, max_rows=2))
    # Generation reserves room for the new tokens of every row.
    assert all(len(b.rows) * (b.width + 50) <= 400 for b in plan_batches([40] * 10, 400, extra_per_row=50))


@pytest.fixture(scope="module", params=[(True, "llama"), (False, "gpt2")], ids=["llama-chat", "gpt2-plain"])
def tiny(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    chat, arch = request.param
    return build_tiny_lm(tmp_path_factory.mktemp("tinyb") / "lm", chat_template=chat, arch=arch)


def _requests(n: int) -> list:
    items = load_items()[:n]
    cfg = ProbeConfig(model=ModelConfig(backend="hf", model="x"))
    return [t.requests[0] for t in build_tasks(items, cfg)]


def test_prefix_cache_and_budgets_give_the_uncached_logprobs(tiny: Path) -> None:
    reqs = _requests(12)
    ref = create_backend(f"hf:{tiny}", device="cpu", dtype="float32", prefix_cache=False, batch_size=1)
    fast = create_backend(f"hf:{tiny}", device="cpu", dtype="float32", max_batch_tokens=700)
    n_prefix, _ = fast._prefix_cache(torch, fast._load()[0], fast._tokenise([fast.render(r) for r in reqs]))
    assert n_prefix >= 8  # the system sentence and template header are shared
    a = ref.letter_logprobs(reqs)
    b = fast.letter_logprobs(reqs)
    diff = max(abs(x.letter_logprobs[L] - y.letter_logprobs[L]) for x, y in zip(a, b, strict=True) for L in "ABCD")
    assert diff < 1e-4
    assert [x.text for x in a] == [y.text for y in b]
    assert [x.prompt_tokens for x in a] == [y.prompt_tokens for y in b]


def test_answer_stream_yields_each_request_once(tiny: Path) -> None:
    reqs = _requests(9)
    backend = create_backend(f"hf:{tiny}", device="cpu", dtype="float32", max_batch_tokens=400)
    chunks = list(backend.answer_stream(reqs, "logprob"))
    assert len(chunks) > 1  # a small budget: several batches, written as each finishes
    seen = [i for c in chunks for i, _ in c]
    assert sorted(seen) == list(range(len(reqs)))


def test_generate_stops_inside_generate_on_stop_strings(tiny: Path) -> None:
    backend = create_backend(f"hf:{tiny}", device="cpu", dtype="float32")
    reqs = [r.model_copy(update={"max_tokens": 24, "temperature": 0.0}) for r in _requests(3)]
    free = backend.generate(reqs)
    # Stop at whatever the model's free output starts with: generation must end there.
    firsts = [next((c for c in f.text if c.isascii() and c.isprintable() and not c.isspace()), None) for f in free]
    stops = [r.model_copy(update={"stop": [c]}) for r, c in zip(reqs, firsts, strict=True) if c]
    assert stops
    for resp in backend.generate(stops):
        assert resp.finish_reason == "stop"
        assert (resp.completion_tokens or 0) < 24
