"""Planning batches for local models: tokenise once, sort by tokens, pack by a token budget.

A fixed number of prompts per batch wastes compute on padding when lengths vary and
under-fills the device when prompts are short. Here a batch holds as many prompts as fit
``budget`` padded tokens (rows x longest row), prompts sorted by their token length so the
rows of a batch are nearly the same length. The common token prefix of all prompts (the
system sentence and the chat template's header, about a quarter of AKB-2000's prompt
tokens) is found on the token ids, so computing it once and reusing its key/value cache
is exact: the suffixes are the same tokens the full prompts would have had.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from akb.core.errors import BackendError

# Below this many shared tokens a separate prefix pass costs more than it saves.
MIN_PREFIX_TOKENS = 8


@dataclass(frozen=True)
class Batch:
    rows: list[int]  # indices into the request list, longest first
    width: int  # tokens of the longest row (the padded width)

    @property
    def padded_tokens(self) -> int:
        return len(self.rows) * self.width


def common_prefix_len(seqs: Sequence[Sequence[int]]) -> int:
    """Tokens shared by every sequence, leaving at least one token in each suffix."""
    if len(seqs) < 2:
        return 0
    first = seqs[0]
    n = min(len(s) for s in seqs) - 1
    for s in seqs[1:]:
        i = 0
        lim = min(n, len(s))
        while i < lim and s[i] == first[i]:
            i += 1
        n = i
        if n == 0:
            break
    return max(0, n)


def plan_batches(lengths: Sequence[int], budget: int, *, max_rows: int | None = None,
                 extra_per_row: int = 0) -> list[Batch]:
    """Pack rows (longest first) into batches of at most ``budget`` padded tokens.

    ``extra_per_row`` counts tokens each row adds beyond its prompt (new tokens in
    generation). A row longer than the budget on its own gets a batch of its own.
    """
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    out: list[Batch] = []
    rows: list[int] = []
    width = 0
    for i in order:
        w = max(width, lengths[i]) if rows else lengths[i]
        full = max_rows is not None and len(rows) >= max_rows
        if rows and ((len(rows) + 1) * (w + extra_per_row) > budget or full):
            out.append(Batch(rows, width))
            rows, w = [], lengths[i]
        rows.append(i)
        width = w
    if rows:
        out.append(Batch(rows, width))
    return out


def padding_share(batches: Sequence[Batch], lengths: Sequence[int]) -> float:
    """Share of the computed tokens that are padding."""
    padded = sum(b.padded_tokens for b in batches)
    real = sum(lengths[i] for b in batches for i in b.rows)
    return 0.0 if padded == 0 else 1.0 - real / padded


def letter_ids_after(tok: Any, prompt: str, letters: Sequence[str]) -> list[int]:
    """Token id of each option letter as it would follow ``prompt`` (space-prefixed after
    text, bare after whitespace or an opening bracket), for any tokenizer (BPE or
    SentencePiece): the letter is tokenised in context and must start a new token."""
    ending = prompt[-40:]
    base = tok(ending, add_special_tokens=False)["input_ids"]
    sep = "" if prompt[-1:].isspace() or prompt.endswith(("(", "[")) else " "
    ids: list[int] = []
    for letter in letters:
        full = tok(ending + sep + letter, add_special_tokens=False)["input_ids"]
        if full[: len(base)] != base or len(full) <= len(base):
            raise BackendError(
                f"letter {letter!r} merges with the end of the prompt in this tokenizer; "
                "set the option plain_suffix so the prompt ends in a separator"
            )
        ids.append(full[len(base)])
    if len(set(ids)) != len(ids):
        raise BackendError("option letters share their first token in this tokenizer; logprob mode cannot tell them apart")
    return ids
