"""Stop generating once a reply opens with an option letter (``--stop-at-letter``).

A direct-answer prompt asks for the letter alone, yet models keep writing: SmolLM2 answers
"B. -23.0 LKFS" and runs on to 16 tokens. With ``ChatRequest.stop_at_letter`` the reply is the
text up to and including the delimiter after a leading letter ("B.", "(B)", "**B**", "B" and a
newline) and the rest is never generated. Every backend returns the same truncation, so a
run's numbers do not depend on which backend stopped early (the local hf backend stops inside
``generate()``, saving the tokens; the others cut the text they received).

This is a scoring protocol, not only a speed-up: a reply that later changes its mind ("B.
The answer is C") counts as B, and "B. <text of another option>" counts as B instead of being
invalid. It is off by default; a run records it in its fingerprint and cache keys.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

# A leading letter, optionally bracketed or in markdown, and the delimiter right after it. A
# space does not count: "A sine wave ..." opens with the article, not an answer.
_LEAD = re.compile(r"^\s*[*_`]*[\(\[]?\s*([A-Z])([\)\]\.:,\n*_`])")


def leading_letter_end(text: str, letters: Sequence[str]) -> int | None:
    """The length of the reply up to the delimiter after a leading option letter, or None."""
    m = _LEAD.match(text)
    if m is None or m.group(1) not in letters:
        return None
    return m.end()


def cut_at_letter(text: str, letters: Sequence[str]) -> str:
    """``text`` up to the delimiter after its leading option letter (unchanged without one)."""
    end = leading_letter_end(text, letters)
    return text if end is None else text[:end]


def stopping_criteria(tokenizer: Any, prompt_len: int, letters: Sequence[str]) -> Any:
    """A transformers ``StoppingCriteria`` that ends each row once its new text opens with a
    letter and a delimiter (the batch ends when every row has, or at EOS / max_new_tokens)."""
    import torch
    from transformers import StoppingCriteria

    class _LetterStop(StoppingCriteria):  # type: ignore[misc]
        def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
            new = input_ids[:, prompt_len:].tolist()
            texts = tokenizer.batch_decode(new, skip_special_tokens=True)
            return torch.tensor([leading_letter_end(t, letters) is not None for t in texts], device=input_ids.device)

    return _LetterStop()
