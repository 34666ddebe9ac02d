"""What users of lm-eval, inspect and HF expect from ``akb probe``: the prompt of every
sample, few-shot, a stratified sample, the mode a base model needs, a loud invalid rate,
``--version`` and one meaning for ``-o``."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from akb.bench.fewshot import fewshot_pool
from akb.bench.prompts import build_messages, prompt_hash
from akb.models.base import BaseBackend, ChatRequest, Response
from akb.models.spec import parse_model_spec
from akb.runs.probe import ProbeConfig, run_probe
from cli_helpers import akb


def _samples(run_dir: str | Path) -> list[dict]:
    return [json.loads(x) for x in (Path(run_dir) / "samples.jsonl").read_text().splitlines()]


def test_every_sample_has_its_prompt_hash_and_show_prompt_prints_it(tmp_path: Path) -> None:
    res = run_probe(ProbeConfig(model=parse_model_spec("random"), out=str(tmp_path / "r"), sample=12, progress=False))
    samples = _samples(res.run_dir)
    assert len(samples) == 12 and all(len(s["prompt_sha256"]) == 16 for s in samples)
    first = samples[0]
    r = akb("probe", "--show-prompt", first["id"])
    assert r.returncode == 0, r.stderr
    assert f"prompt_sha256 {first['prompt_sha256']}" in r.stdout and "Answer:" in r.stdout
    r3 = akb("probe", "--show-prompt", first["id"], "--num-fewshot", "3")
    assert fewshot_pool()[2].question in r3.stdout and first["prompt_sha256"] not in r3.stdout


def test_sample_is_stratified_and_seeded_limit_is_the_first_n(tmp_path: Path) -> None:
    def cats(**kw: object) -> Counter:
        res = run_probe(ProbeConfig(model=parse_model_spec("position:A"), out=str(tmp_path / str(len(kw)) / str(kw)),
                                    progress=False, **kw))  # type: ignore[arg-type]
        return Counter(s["category"] for s in _samples(res.run_dir))

    s = cats(sample=60, seed=1)
    assert sum(s.values()) == 60 and len(s) == 6
    assert cats(limit=60) != s and len(cats(limit=60)) < 6  # the first 60 in file order


class _Echo(BaseBackend):
    """Records the messages it is asked; answers with a fixed text."""

    name = "echo"
    supports_logprobs = True

    def __init__(self, reply: str = "A", chat: bool = True) -> None:
        self.reply, self.chat, self.asked = reply, chat, []

    def identity(self) -> dict:
        return {"backend": "echo", "reply": self.reply}

    def default_mode(self) -> str:
        return "generate" if self.chat else "logprob"

    def generate(self, requests: list[ChatRequest]) -> list[Response]:
        self.asked += requests
        return [Response(text=self.reply) for _ in requests]

    def letter_logprobs(self, requests: list[ChatRequest]) -> list[Response]:
        self.asked += requests
        return [Response(text="B", letter_logprobs={"A": -2.0, "B": -1.0, "C": -3.0, "D": -4.0}) for _ in requests]


def test_fewshot_examples_come_first_and_change_the_run(tmp_path: Path) -> None:
    b = _Echo()
    cfg = ProbeConfig(model=parse_model_spec("random"), out=str(tmp_path / "k2"), limit=2, progress=False,
                      mode="generate", use_cache=False, prompt={"num_fewshot": 2})
    run_probe(cfg, backend=b)
    user = b.asked[0].messages[-1].content
    pool = fewshot_pool()
    assert user.startswith(f"Question: {pool[0].question}") and f"Question: {pool[1].question}" in user
    assert user.count("Question:") == 3
    rec = _samples(tmp_path / "k2")[0]
    assert rec["prompt_sha256"] == prompt_hash([m.model_dump() for m in b.asked[0].messages])
    assert rec["prompt_sha256"] != prompt_hash(build_messages(b.asked[0].mcq.question, b.asked[0].mcq.choices))


def test_base_models_default_to_logprob_and_invalid_replies_are_loud(tmp_path: Path) -> None:
    base = run_probe(ProbeConfig(model=parse_model_spec("random"), out=str(tmp_path / "base"), limit=4, progress=False,
                                 use_cache=False), backend=_Echo(chat=False))
    assert json.loads((Path(base.run_dir) / "summary.json").read_text())["mode"] == "logprob"
    assert not base.warnings
    chat = run_probe(ProbeConfig(model=parse_model_spec("random"), out=str(tmp_path / "chat"), limit=10, progress=False,
                                 use_cache=False), backend=_Echo(reply="I think it is a sound.", chat=True))
    assert chat.metrics.invalid == 10 and chat.warnings and "100.0% of the replies are invalid" in chat.warnings[0]
    assert "**Warning**: 100.0% of the replies are invalid" in (Path(chat.run_dir) / "summary.md").read_text()
    assert json.loads((Path(chat.run_dir) / "summary.json").read_text())["warnings"] == chat.warnings


def test_version_flag_and_o_means_option_everywhere() -> None:
    r = akb("--version")
    assert r.returncode == 0 and r.stdout.startswith("akb ")
    for cmd in (("quickstart",), ("report",)):
        h = akb(*cmd, "--help").stdout
        assert "-o" not in h.replace("--out", "").replace("--option", ""), cmd
    for cmd in (("probe",), ("cascade",)):
        assert "--option" in akb(*cmd, "--help").stdout


@pytest.mark.parametrize("flag", ["--sample", "--num-fewshot", "--show-prompt"])
def test_probe_help_documents_the_conventions(flag: str) -> None:
    h = akb("probe", "--help").stdout
    assert flag in h and "first N" in h
