"""Answer extraction on what real models write; ambiguity is invalid, never guessed."""

from __future__ import annotations

import pytest

from akb.bench.extract import extract_choice

CHOICES = ["First syllable", "Second syllable", "Third syllable", "Fourth syllable"]


@pytest.mark.parametrize(
    "reply,letter",
    [
        ("B", "B"),
        ("(B)", "B"),
        ("B.", "B"),
        ("b", "B"),
        ("Answer: B", "B"),
        ("**B**", "B"),
        ("**Answer: C**", "C"),
        ("The answer is (B) Second syllable", "B"),
        ("The correct answer is: D", "D"),
        ("Second syllable", "B"),
        ("The second syllable", "B"),
        ("B. Second syllable", "B"),
        ("(C) Third syllable, because of the vowel.", "C"),
        ("<think>Options A and C look wrong... maybe (D)?</think>\nAnswer: B", "B"),
        ("</think>\n\nAnswer: A", "A"),
        ("Let me think. (A) is too early and (C) too late.\nAnswer: B", "B"),
        ("I would pick C", "C"),
        ("D is correct.", "D"),
    ],
)
def test_valid_replies(reply: str, letter: str) -> None:
    got = extract_choice(reply, CHOICES)
    assert got.letter == letter, got


@pytest.mark.parametrize(
    "reply,reason",
    [
        ("", "empty"),
        ("   ", "empty"),
        ("A or C", "conflicting-letters"),
        ("(A) and (C) are both plausible", "conflicting-letters"),
        ("It could be (A) or it could be (C).", "conflicting-letters"),
        ("<think>Long reasoning that never ends", "unfinished-reasoning"),
        ("I am not sure.", "no-answer"),
        ("Either the first syllable or the second syllable", "several-options"),
        ("B) First syllable", "letter-text-mismatch"),
    ],
)
def test_invalid_replies(reply: str, reason: str) -> None:
    got = extract_choice(reply, CHOICES)
    assert got.letter is None and got.method == reason, got


def test_article_a_is_not_an_answer() -> None:
    choices = ["a frying pan on a hot stove", "rain on a tin roof", "a kettle coming to the boil", "bacon in the fridge"]
    assert extract_choice("A frying pan on a hot stove", choices).letter == "A"  # by option text
    assert extract_choice("A kettle, I think", choices).letter is None  # "A" is the article here
    assert extract_choice("A sound like that comes from cooking", choices).letter is None


def test_letters_follow_number_of_choices() -> None:
    assert extract_choice("E", ["a", "b", "c", "d", "e"], letters="ABCDE").letter == "E"
    assert extract_choice("C", ["yes", "no"], letters="AB").letter is None
