"""Find the option a model chose in what it wrote.

Handles what models really write: ``B``, ``(B)``, ``B.``, ``Answer: B``, ``**B**``,
``The answer is (B) Second syllable``, the option text alone, and reasoning inside
``<think>`` tags before the answer. Two different letters, or none, is *invalid*: the
caller counts it wrong and reports the invalid rate. Nothing is ever guessed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from akb.bench.items import LETTERS

_THINK_RE = re.compile(r"<think>.*?</think>", re.S | re.I)
_MD_RE = re.compile(r"[*_`#]+")


@dataclass(frozen=True)
class Extraction:
    letter: str | None
    method: str  # which rule decided: "bare", "explicit", "leading", "bracketed", "text", or why invalid

    @property
    def valid(self) -> bool:
        return self.letter is not None


def _strip_reasoning(text: str) -> str | None:
    """Text after the reasoning; None when the reasoning never closed (nothing answered)."""
    text = _THINK_RE.sub(" ", text)
    low = text.lower()
    if "<think>" in low:
        return None  # an unclosed think block: the model ran out before answering
    if "</think>" in low:  # templates that open <think> in the prompt
        text = text[low.rindex("</think>") + len("</think>") :]
    return text


def _norm(s: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s]", " ", s.lower())).strip()


def extract_choice(text: str | None, choices: Sequence[str], letters: Sequence[str] = LETTERS) -> Extraction:
    """Return the chosen letter, or ``None`` with the reason in ``method``."""
    if not text or not text.strip():
        return Extraction(None, "empty")
    letters = tuple(letters)[: len(choices)]
    body = _strip_reasoning(text)
    if body is None:
        return Extraction(None, "unfinished-reasoning")
    body = _MD_RE.sub("", body).strip()
    if not body:
        return Extraction(None, "empty")
    L = "".join(letters)

    # 1. The whole reply is a letter, maybe bracketed or punctuated: "B", "(B)", "B.", "[B]"
    m = re.fullmatch(rf"[\(\[]?\s*([{L}])\s*[\)\]]?[.:,]?", body, flags=re.I)
    if m:
        return Extraction(m.group(1).upper(), "bare")

    # A hedge between letters ("A or C", "(A) and (C)") answers nothing.
    if re.match(rf"\W*([{L}])\W*\s*(?:and|or|,|/|&)\s*\W*([{L}])\b", body):
        return Extraction(None, "conflicting-letters")

    # 2. Explicit statements: "Answer: B", "the answer is (B)", "correct option is B".
    explicit = re.findall(
        rf"(?:answer|option|choice)\s*(?:is|would be|:|=|-)?\s*(?:option|choice)?\s*[:\-]?\s*[\(\[]?([{L}])\b(?![\'’]\w)",
        body,
        flags=re.I,
    )
    # Keep only capital letters: "answer is a frying pan" must not read as (A).
    explicit_caps = [x for x in explicit if x in letters]
    found = set(explicit_caps)
    if len(found) == 1:
        return Extraction(explicit_caps[-1], "explicit")
    if len(found) > 1:
        # A final, last-line statement settles chain-of-thought that weighed several options.
        last_line = body.strip().splitlines()[-1]
        m = re.search(rf"answer\s*(?:is)?\s*[:\-]?\s*[\(\[]?([{L}])\b", last_line, flags=re.I)
        if m and m.group(1) in letters:
            return Extraction(m.group(1), "explicit-final")
        return Extraction(None, "conflicting-letters")

    # 3. A leading letter with a delimiter: "B. Second syllable", "(B) ...", "B) ...", "B: ..."
    m = re.match(rf"[\(\[]\s*([{L}])\s*[\)\]]|([{L}])\s*[.):]\s", body + " ")
    if m:
        return _check_consistent(m.group(1) or m.group(2), body, choices, letters, "leading")

    # 4. Bracketed letters anywhere: "(B)". One distinct letter is an answer.
    bracketed = set(re.findall(rf"\(([{L}])\)", body))
    if len(bracketed) == 1:
        return Extraction(bracketed.pop(), "bracketed")
    if len(bracketed) > 1:
        return Extraction(None, "conflicting-letters")

    # 5. The option text: the reply is, or contains, exactly one option.
    nb = _norm(body)
    exact = [i for i, c in enumerate(choices) if _norm(c) and _norm(c) == nb]
    if len(exact) == 1:
        return Extraction(letters[exact[0]], "text")
    padded = f" {nb} "
    contained = [i for i, c in enumerate(choices) if _norm(c) and f" {_norm(c)} " in padded]
    # Drop options that are contained only as part of a longer contained option.
    contained = [
        i for i in contained
        if not any(j != i and _norm(choices[i]) in _norm(choices[j]) for j in contained)
    ]
    if len(contained) == 1:
        return Extraction(letters[contained[0]], "text")
    if len(contained) > 1:
        return Extraction(None, "several-options")

    # 6. A lone capital letter as a standalone word ("I pick C"). "A" followed by a
    # lower-case word is the article, not an answer.
    lone: set[str] = set()
    for m in re.finditer(rf"(?<![\w'’])([{L}])(?![\w'’])", body):
        after = body[m.end() :]
        if m.group(1) == "A" and re.match(r"\s+(?!is\b)[a-z]", after):
            continue
        lone.add(m.group(1))
    if len(lone) == 1:
        return Extraction(lone.pop(), "lone-letter")
    if len(lone) > 1:
        return Extraction(None, "conflicting-letters")
    return Extraction(None, "no-answer")


def _check_consistent(
    letter: str, body: str, choices: Sequence[str], letters: Sequence[str], method: str
) -> Extraction:
    """A leading letter whose following text names a *different* option is contradictory."""
    rest = _norm(re.sub(r"^\W*\w\W*", "", body, count=1))
    if rest:
        named = [i for i, c in enumerate(choices) if _norm(c) and rest.startswith(_norm(c))]
        if named and letters[named[0]] != letter and len(named) == 1:
            return Extraction(None, "letter-text-mismatch")
    return Extraction(letter, method)
