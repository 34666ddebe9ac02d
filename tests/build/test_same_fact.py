"""v0.5: pairs that ask one fact in other words ('Which medical term names the hiccup?' beside
'What is the medical term for hiccups?'), which the wording-based near-duplicate check misses.
`akb build check --same-fact` warns of them with real sentence embeddings."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from akb.bench.items import Item, Provenance, ReviewRecord
from akb.build.checks import near_duplicates, same_fact_pairs
from cli_helpers import akb

AT = datetime(2026, 12, 8, tzinfo=timezone.utc)


def item(iid: str, question: str, choices: list[str], *, generator: str | None = None) -> Item:
    prov = (Provenance(method="procedural", by="akb.build.procedural", created=AT, generator=generator, params={})
            if generator else Provenance(method="llm-generated", by="anthropic:claude-writer", created=AT))
    return Item(id=iid, category="sound", subcategory="human_nonspeech", question=question, choices=choices, answer="A",
                rationale="r", provenance=prov, review=ReviewRecord(status="draft"))


HICCUP = item("sound.human_nonspeech.033", "Which medical term names the hiccup?", ["Singultus", "Borborygmus", "Stridor", "Sternutation"])
HICCUPS = item("sound.human_nonspeech.034", "What is the medical term for hiccups?", ["Singultus", "Eructation", "Stertor", "Tussis"])
SNEEZE = item("sound.human_nonspeech.035", "What is the medical term for a sneeze?", ["Sternutation", "Singultus", "Stridor", "Tussis"])
STOMACH = item("sound.human_nonspeech.036", "Which medical term names the rumbling of the stomach?", ["Borborygmus", "Singultus", "Stertor", "Tussis"])


@pytest.fixture(scope="module")
def embed():
    pytest.importorskip("sentence_transformers")
    from akb.models.embedding import EmbeddingBackend

    return EmbeddingBackend().encode


def test_one_fact_in_other_words_is_found_and_sibling_facts_are_not(embed) -> None:
    items = [HICCUP, HICCUPS, SNEEZE, STOMACH]
    assert near_duplicates(items) == []  # the wording check does not see it
    pairs = same_fact_pairs(items, embed)
    assert [(a, b) for a, b, _ in pairs] == [(HICCUP.id, HICCUPS.id)]  # sneeze and stomach ask other facts


def test_template_siblings_of_one_generator_are_not_compared() -> None:
    a = item("sound.everyday_physics.001", "What is the wavelength in air of a 250 Hz tone?", ["1.37 m", "2 m", "3 m", "4 m"],
             generator="technical.wavelength")
    b = a.model_copy(update={"id": "sound.everyday_physics.002"})
    c = b.model_copy(update={"id": "sound.everyday_physics.003", "provenance": HICCUP.provenance})
    same = lambda texts: [[1.0, 0.0]] * len(texts)  # noqa: E731 - every text at one point
    assert [(x, y) for x, y, _ in same_fact_pairs([a, b, c], same)] == [(a.id, c.id), (b.id, c.id)]


def test_check_warns_with_the_pair(tmp_path: Path, embed) -> None:
    p = tmp_path / "items.jsonl"
    p.write_text("".join(json.dumps(i.to_json()) + "\n" for i in (HICCUP, HICCUPS, SNEEZE, STOMACH)))
    r = akb("build", "check", str(p), "--same-fact", "--no-option-rules")
    assert f"same-fact {HICCUPS.id}: may ask the same fact as {HICCUP.id}" in " ".join(r.stdout.split())
    assert "same-fact" not in akb("build", "check", str(p), "--no-option-rules").stdout
