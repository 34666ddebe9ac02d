"""A corpus of malformed inputs (issue 12): items JSONL, MMAU/MMAR JSON, run YAML, training
YAML and CLI values. Every case runs ``akb`` in-process (tests/cli_harness.py) and must end
in one line on stderr, a non-zero exit, no traceback, and nothing written anywhere (the
working directory is the test's own folder, so a stray run folder would show).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from cli_harness import run_cli

pytestmark = pytest.mark.timeout(60)

Build = Callable[[Path], list[str]]


@dataclass(frozen=True)
class Case:
    id: str
    build: Build
    expect: str  # in the error line (case-insensitive)
    code: int = 2


CASES: list[Case] = []


def case(kind: str, name: str, expect: str, code: int = 2) -> Callable[[Build], Build]:
    def deco(fn: Build) -> Build:
        CASES.append(Case(f"{kind}:{name}", fn, expect, code))
        return fn
    return deco


DROP = object()  # an override that removes the field


def changed(base: dict, over: dict) -> dict:
    """``base`` with ``over`` applied (a DROP value removes that field)."""
    return {k: v for k, v in {**base, **over}.items() if v is not DROP}


# ---------------------------------------------------------------------------- items JSONL
def good_item(**over: object) -> dict:
    return changed({"id": "sound.test.001", "category": "sound", "subcategory": "loudness",
                    "question": "Which is louder?", "choices": ["a jet", "a whisper", "a fridge hum", "a ticking clock"],
                    "answer": "A", "rationale": "jets are loud", "provenance": {"method": "authored", "by": "tester"}},
                   over)


def _fix_category(tmp: Path) -> dict:
    from akb.bench.taxonomy import load_taxonomy

    tax = load_taxonomy()
    c = tax.categories[0]
    return {"category": c.id, "subcategory": c.subcategories[0].id}


def items_case(name: str, expect: str, lines: Callable[[Path], bytes] | list | None = None,
               item: dict | None = None) -> None:
    def build(tmp: Path) -> list[str]:
        f = tmp / "items.jsonl"
        if callable(lines):
            data = lines(tmp)
        elif lines is not None:
            data = b"".join((x if isinstance(x, bytes) else json.dumps(x).encode()) + b"\n" for x in lines)
        else:
            rec = changed({**good_item(), **_fix_category(tmp)}, item or {})
            data = (json.dumps(rec) + "\n").encode()
        if data is not None:
            f.write_bytes(data)
        return ["probe", "--model", "random", "--data", str(f), "--out", str(tmp / "out"), "--no-progress",
                "--no-cache"]
    CASES.append(Case(f"items:{name}", build, expect))


items_case("empty-file", "holds no items", lambda t: b"")
items_case("blank-lines", "holds no items", lambda t: b"\n\n   \n")
items_case("not-json", "not valid JSON", lambda t: b"this is not json\n")
items_case("array-line", "expected a JSON object", lambda t: b"[1, 2, 3]\n")
items_case("string-line", "expected a JSON object", lambda t: b'"just a string"\n')
items_case("truncated-line", "not valid JSON", lambda t: b'{"id": "x", "question": "Wh\n')
items_case("bad-utf8", "not valid UTF-8", lambda t: b'{"id": "\xff\xfe"}\n')
items_case("duplicate-key", "appears twice", lambda t: b'{"id": "a", "id": "b"}\n')
items_case("deep-nesting", "nested more than", lambda t: b'{"meta": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n")
items_case("binary", "not valid UTF-8", lambda t: os.urandom(64).replace(b"\n", b"\xff") + b"\xff\n")
items_case("missing-question", "question", item={"question": DROP})
items_case("null-question", "question", item={"question": None})
items_case("empty-question", "question", item={"question": "   "})
items_case("number-question", "question", item={"question": 42})
items_case("three-choices", "exactly 4 choices", item={"choices": ["a", "b", "c"]})
items_case("five-choices", "exactly 4 choices", item={"choices": ["a", "b", "c", "d", "e"]})
items_case("duplicate-choices", "choices", item={"choices": ["a jet", "a jet", "b", "c"]})
items_case("duplicate-choices-case", "choices", item={"choices": ["A Jet", "a  jet", "b", "c"]})
items_case("empty-choice", "choice", item={"choices": ["a", "", "c", "d"]})
items_case("null-choice", "choices", item={"choices": ["a", None, "c", "d"]})
items_case("choices-string", "choices", item={"choices": "a, b, c, d"})
items_case("answer-E", "must be one of A, B, C, D", item={"answer": "E"})
items_case("answer-lower", "must be one of A, B, C, D", item={"answer": "a"})
items_case("answer-null", "answer", item={"answer": None})
items_case("answer-missing", "answer", item={"answer": DROP})
items_case("answer-text", "must be one of A, B, C, D", item={"answer": "a jet"})
items_case("id-spaces", "id", item={"id": "has spaces"})
items_case("id-upper", "id", item={"id": "Sound.X"})
items_case("id-missing", "id", item={"id": DROP})
items_case("id-too-long", "id", item={"id": "a" * 500})
items_case("unknown-category", "unknown category", item={"category": "acoustics"})
items_case("unknown-subcategory", "unknown subcategory", item={"subcategory": "nope"})
items_case("unknown-field", "unknown field", item={"difficulty_level": 3})
items_case("no-provenance", "provenance", item={"provenance": DROP})
items_case("bad-provenance-method", "provenance", item={"provenance": {"method": "dreamt", "by": "x"}})
items_case("human-verified-without-review", "human", item={"review": {"status": "human-verified", "reviews": []}})
items_case("nan-question", "question", lambda t: json.dumps({**good_item(), **_fix_category(t)}).replace(
    '"Which is louder?"', "NaN").encode() + b"\n")
items_case("duplicate-id", "duplicate id", lambda t: b"".join(
    json.dumps({**good_item(), **_fix_category(t)}).encode() + b"\n" for _ in range(2)))


@case("items", "directory", "is a directory")
def _items_dir(tmp: Path) -> list[str]:
    (tmp / "d").mkdir()
    return ["probe", "-m", "random", "--data", str(tmp / "d"), "--out", str(tmp / "out"), "--no-progress"]


@case("items", "fifo", "not a regular file")
def _items_fifo(tmp: Path) -> list[str]:
    os.mkfifo(tmp / "fifo.jsonl")
    return ["probe", "-m", "random", "--data", str(tmp / "fifo.jsonl"), "--out", str(tmp / "out"), "--no-progress"]


@case("items", "missing-file", "file not found")
def _items_missing(tmp: Path) -> list[str]:
    return ["probe", "-m", "random", "--data", str(tmp / "nope.jsonl"), "--out", str(tmp / "out"), "--no-progress"]


@case("items", "dev-zero-link", "not a regular file")
def _items_devzero(tmp: Path) -> list[str]:
    (tmp / "z.jsonl").symlink_to("/dev/zero")
    return ["probe", "-m", "random", "--data", str(tmp / "z.jsonl"), "--out", str(tmp / "out"), "--no-progress"]


# ---------------------------------------------------------------------------- MMAU / MMAR JSON
def mmau_entry(**over: object) -> dict:
    return changed({"id": "m1", "audio_id": "./a.wav", "question": "What is heard?", "choices": ["a dog", "a cat"],
                    "answer": "a dog", "task": "sound", "split": "test-mini"}, over)


def mmar_entry(**over: object) -> dict:
    return changed({"id": "r1", "audio_path": "./a.wav", "question": "What is heard?", "choices": ["a dog", "a cat"],
                    "answer": "a dog", "modality": "sound"}, over)


def bench_case(bench: str, name: str, expect: str, content: Callable[[Path], bytes], suffix: str = ".json") -> None:
    def build(tmp: Path) -> list[str]:
        f = tmp / f"{bench}{suffix}"
        f.write_bytes(content(tmp))
        return ["cascade", "-b", f"{bench}:{f}", "-m", "random", "--out", str(tmp / "out"), "--no-progress",
                "--no-cache"]
    CASES.append(Case(f"{bench}:{name}", build, expect))


def js(obj: object) -> Callable[[Path], bytes]:
    return lambda _t: json.dumps(obj).encode()


for bench, entry in (("mmau", mmau_entry), ("mmar", mmar_entry)):
    audio_key = "audio_id" if bench == "mmau" else "audio_path"
    bench_case(bench, "not-json", "not valid JSON", lambda t: b"{oops")
    bench_case(bench, "empty-list", "no usable", js([]))
    bench_case(bench, "top-level-number", "expected a JSON list", js(42))
    bench_case(bench, "two-lists", "expected a JSON list", js({"a": [], "b": []}))
    bench_case(bench, "bad-utf8", "not valid UTF-8", lambda t: b'[{"id": "\xff"}]')
    bench_case(bench, "duplicate-key", "appears twice", lambda t: b'[{"id": "a", "id": "b"}]')
    bench_case(bench, "deep-nesting", "nested more than", lambda t: b"[" * 50_000 + b"]" * 50_000)
    bench_case(bench, "missing-id", "field 'id' is missing", js([entry(id=DROP)]))
    bench_case(bench, "null-question", "field 'question': expected text, got null", js([entry(question=None)]))
    bench_case(bench, "missing-question", "field 'question' is missing", js([entry(question=DROP)]))
    bench_case(bench, "list-question", "field 'question': expected text", js([entry(question=["a"])]))
    bench_case(bench, "blank-question", "field 'question': is empty", js([entry(question="  ")]))
    bench_case(bench, "missing-choices", "field 'choices' is missing", js([entry(choices=DROP)]))
    bench_case(bench, "choices-string", "expected a list", js([entry(choices="a dog, a cat")]))
    bench_case(bench, "one-choice", "choices", js([entry(choices=["a dog"])]))
    bench_case(bench, "nine-choices", "choices", js([entry(choices=[f"c{i}" for i in range(9)], answer="c0")]))
    bench_case(bench, "duplicate-choices", "appears twice", js([entry(choices=["a dog", "a dog", "a cat"])]))
    bench_case(bench, "null-choice", "choice 2 is null", js([entry(choices=["a dog", None])]))
    bench_case(bench, "dict-choice", "choice 2 is dict", js([entry(choices=["a dog", {"x": 1}])]))
    bench_case(bench, "answer-not-a-choice", "is not one of the choices", js([entry(answer="a horse")]))
    bench_case(bench, "missing-audio", f"field '{audio_key}' is missing", js([entry(**{audio_key: DROP})]))
    bench_case(bench, "null-audio", f"field '{audio_key}': expected text, got null", js([entry(**{audio_key: None})]))
    bench_case(bench, "jsonl-bad-line", "not valid JSON", lambda t: b"{oops\n", suffix=".jsonl")


@case("mmau", "directory", "is a directory")
def _mmau_dir(tmp: Path) -> list[str]:
    (tmp / "d.json").mkdir()
    return ["cascade", "-b", f"mmau:{tmp / 'd.json'}", "-m", "random", "--out", str(tmp / "out"), "--no-progress"]


@case("mmau", "fifo", "not a regular file")
def _mmau_fifo(tmp: Path) -> list[str]:
    os.mkfifo(tmp / "f.json")
    return ["cascade", "-b", f"mmau:{tmp / 'f.json'}", "-m", "random", "--out", str(tmp / "out"), "--no-progress"]


@case("mmau", "missing-file", "not found")
def _mmau_missing(tmp: Path) -> list[str]:
    return ["cascade", "-b", f"mmau:{tmp / 'nope.json'}", "-m", "random", "--out", str(tmp / "out"), "--no-progress"]


def test_mmau_entry_missing_answer_in_a_labelled_file_is_a_problem_not_unscored(tmp_path: Path) -> None:
    """Defect 8: an MMAU entry missing 'answer' was silently unscored."""
    from akb.audiobench.benchmarks import load_audio_benchmark

    f = tmp_path / "mmau.json"
    f.write_text(json.dumps([mmau_entry(id="a"), mmau_entry(id="b", answer=DROP), mmau_entry(id="c")]))
    b = load_audio_benchmark(f"mmau:{f}")
    assert [i.id for i in b.items] == ["a", "c"]
    assert len(b.problems) == 1 and "field 'answer' is missing" in str(b.problems[0])
    # A wholly unlabelled file (MMAU test) is still allowed.
    f.write_text(json.dumps([mmau_entry(id="a", answer=DROP), mmau_entry(id="b", answer=DROP)]))
    b = load_audio_benchmark(f"mmau:{f}")
    assert len(b.items) == 2 and not b.problems and not any(i.labelled for i in b.items)


# ---------------------------------------------------------------------------- run YAML
def yaml_case(name: str, expect: str, text: str | bytes | Callable[[Path], str | bytes], *, out: bool = True) -> None:
    def build(tmp: Path) -> list[str]:
        f = tmp / "run.yaml"
        data = text(tmp) if callable(text) else text
        f.write_bytes(data if isinstance(data, bytes) else data.encode())
        extra = ["--out", str(tmp / "out")] if out else []
        return ["probe", "--config", str(f), "--no-progress", "--no-cache", *extra]
    CASES.append(Case(f"run-yaml:{name}", build, expect))


BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True)) + "model: *i\n"
MANY_ALIASES = "a: &a 1\nlist: [" + ", ".join(["*a"] * 500) + "]\n"

yaml_case("not-yaml", "not valid YAML", "model: [random\n")
yaml_case("alias-bomb", "aliases are expanded", BOMB)
yaml_case("many-aliases", "aliases", MANY_ALIASES)
yaml_case("deep-nesting", "nested more than", "x: " + "[" * 500 + "]" * 500 + "\n")
yaml_case("top-level-list", "expected a mapping", "- model: random\n")
yaml_case("top-level-string", "expected a mapping", "random\n")
yaml_case("duplicate-key", "duplicate key", "model: random\nlimit: 3\nlimit: 4\n")
yaml_case("binary", "binary file", lambda t: b"\x00\x01\x02model: random\n")
yaml_case("latin1", "not UTF-8", b"model: random\nprompt:\n  system: caf\xe9\n")
yaml_case("too-big", "byte limit", lambda t: "model: random\n# " + "x" * (1 << 20) + "\n")
yaml_case("unknown-field", "extra", "model: random\nlimitt: 3\n")
yaml_case("limit-negative", "limit", "model: random\nlimit: -3\n")
yaml_case("limit-string", "limit", "model: random\nlimit: many\n")
yaml_case("temperature-nan", "temperature", "model: random\ntemperature: .nan\n")
yaml_case("temperature-inf", "temperature", "model: random\ntemperature: .inf\n")
yaml_case("temperature-negative", "temperature", "model: random\ntemperature: -1\n")
yaml_case("max-tokens-zero", "max_tokens", "model: random\nmax_tokens: 0\n")
yaml_case("mode-unknown", "mode", "model: random\nmode: guess\n")
yaml_case("circular-maybe", "circular", "model: random\ncircular: maybe\n")
yaml_case("seed-text", "seed", "model: random\nseed: lucky\n")
yaml_case("template-no-question", "lacks {question}", "model: random\nprompt:\n  template: 'Options: {options}'\n")
yaml_case("template-no-options", "lacks {options}", "model: random\nprompt:\n  template: 'Q: {question}'\n")
yaml_case("template-unknown-placeholder", "unknown placeholder {answer}",
          "model: random\nprompt:\n  template: '{question} {options} {answer}'\n")
yaml_case("template-attribute", "unknown placeholder", "model: random\nprompt:\n  template: '{question.__class__} {options}'\n")
yaml_case("template-bad-braces", "not a valid template", "model: random\nprompt:\n  template: '{question {options}'\n")
yaml_case("prompt-not-mapping", "prompt", "model: random\nprompt: short\n")
yaml_case("model-empty", "empty model spec", "model: ''\n")
yaml_case("model-unknown-backend", "unknown backend", "model: nope:x\n")
yaml_case("model-mapping-no-backend", "backend", "model:\n  model: x\n")
yaml_case("position-Z", "position baseline", "model: position:Z\n")
yaml_case("categories-unknown", "unknown category", "model: random\ncategories: [acoustics]\n")
yaml_case("out-is-a-file", "is not a folder", lambda t: (t / "afile").write_text("x") and f"model: random\nout: {t / 'afile'}\n",
          out=False)
yaml_case("out-under-a-file", "cannot be created under it",
          lambda t: (t / "afile").write_text("x") and f"model: random\nout: {t / 'afile' / 'run'}\n", out=False)
yaml_case("cache-is-a-dir", "is a folder", lambda t: (t / "cdir").mkdir() or f"model: random\ncache: {t / 'cdir'}\n")
yaml_case("data-missing", "file not found", lambda t: f"model: random\ndata: {t / 'nope.jsonl'}\n")


@case("run-yaml", "directory", "is a directory")
def _yaml_dir(tmp: Path) -> list[str]:
    (tmp / "conf").mkdir()
    return ["probe", "--config", str(tmp / "conf"), "--out", str(tmp / "out")]


@case("run-yaml", "fifo", "not a regular file")
def _yaml_fifo(tmp: Path) -> list[str]:
    os.mkfifo(tmp / "run.yaml")
    return ["probe", "--config", str(tmp / "run.yaml"), "--out", str(tmp / "out")]


@case("run-yaml", "missing", "file not found")
def _yaml_missing(tmp: Path) -> list[str]:
    return ["probe", "--config", str(tmp / "nope.yaml"), "--out", str(tmp / "out")]


# ---------------------------------------------------------------------------- training YAML
def train_case(name: str, expect: str, over: dict | Callable[[Path], dict] | str) -> None:
    def build(tmp: Path) -> list[str]:
        (tmp / "data.jsonl").write_text("{}\n")
        (tmp / "clips").mkdir(exist_ok=True)
        base = {"model": {"llm": "tiny-llm", "encoder": "tiny-whisper"}, "data": [str(tmp / "data.jsonl")],
                "audio_root": str(tmp / "clips"), "out": str(tmp / "out")}
        f = tmp / "train.yaml"
        if isinstance(over, str):
            f.write_text(over)
        else:
            extra = over(tmp) if callable(over) else over
            f.write_text(json.dumps(changed(base, extra)))  # JSON is YAML
        return ["ground", "train", str(f), "--no-progress"]
    CASES.append(Case(f"train-yaml:{name}", build, expect))


train_case("betas-nan", "betas", {"betas": [float("nan"), 0.9]})
train_case("betas-out-of-range", "betas", {"betas": [1.5, 0.9]})
train_case("betas-one", "betas", {"betas": [0.9]})
train_case("lr-zero", "lr", {"lr": 0})
train_case("lr-negative", "lr", {"lr": -1e-4})
train_case("lr-inf", "lr", {"lr": float("inf")})
train_case("epochs-zero", "epochs", {"epochs": 0})
train_case("batch-size-zero", "batch_size", {"batch_size": 0})
train_case("grad-accum-zero", "grad_accum", {"grad_accum": 0})
train_case("warmup-negative", "warmup_steps", {"warmup_steps": -1})
train_case("weight-decay-nan", "weight_decay", {"weight_decay": float("nan")})
train_case("keep-checkpoints-zero", "keep_checkpoints", {"keep_checkpoints": 0})
train_case("schedule-unknown", "schedule", {"schedule": "exponential"})
train_case("precision-unknown", "precision", {"precision": "fp8"})
train_case("unknown-field", "extra", {"learning_rate": 1e-4})
train_case("model-missing", "model", {"model": DROP})
train_case("data-missing-field", "data", {"data": DROP})
train_case("data-empty-list", "data", {"data": []})
train_case("data-path-missing", "does not exist", lambda t: {"data": [str(t / "nope.jsonl")]})
train_case("audio-root-missing", "is not a folder", lambda t: {"audio_root": str(t / "nope")})
train_case("out-is-a-file", "is not a folder", lambda t: (t / "afile").write_text("x") and {"out": str(t / "afile")})
train_case("out-under-a-file", "cannot be created under it",
           lambda t: (t / "afile").write_text("x") and {"out": str(t / "afile" / "run")})
train_case("alias-bomb", "aliases are expanded", BOMB)
train_case("not-yaml", "not valid YAML", "model: {llm: [\n")
train_case("top-level-list", "expected a mapping", "- 1\n")
train_case("dropout-one", "dropout", {"model": {"llm": "x", "dropout": 1.0}})


# ---------------------------------------------------------------------------- CLI values
def cli_case(name: str, expect: str, args: Callable[[Path], list[str]], code: int = 2) -> None:
    CASES.append(Case(f"cli:{name}", args, expect, code))


def probe_args(tmp: Path, *extra: str) -> list[str]:
    return ["probe", "-m", "random", "--limit", "3", "--out", str(tmp / "out"), "--no-progress", "--no-cache", *extra]


cli_case("temperature-nan", "temperature", lambda t: probe_args(t, "--temperature", "nan"))
cli_case("temperature-inf", "temperature", lambda t: probe_args(t, "--temperature", "inf"))
cli_case("temperature-negative", "temperature", lambda t: probe_args(t, "--temperature", "-1"))
cli_case("temperature-huge", "temperature", lambda t: probe_args(t, "--temperature", "1e9"))
cli_case("model-empty", "empty model spec", lambda t: ["probe", "--model", "", "--out", str(t / "out")])
cli_case("model-blank", "empty model spec", lambda t: ["probe", "--model", "   ", "--out", str(t / "out")])
cli_case("model-unknown", "unknown backend", lambda t: ["probe", "--model", "nope:x", "--out", str(t / "out")])
cli_case("position-Z", "position baseline", lambda t: ["probe", "--model", "position:Z", "--out", str(t / "out")])
cli_case("position-AB", "position baseline", lambda t: ["probe", "--model", "position:AB", "--out", str(t / "out")])
cli_case("position-digit", "position baseline", lambda t: ["probe", "--model", "position:1", "--out", str(t / "out")])
cli_case("random-seed-text", "seed must be an integer", lambda t: ["probe", "--model", "random:abc", "--out", str(t / "out")])
cli_case("out-is-a-file", "is not a folder",
         lambda t: (t / "afile").write_text("x") and ["probe", "-m", "random", "--out", str(t / "afile")])
cli_case("out-under-a-file", "cannot be created under it",
         lambda t: (t / "afile").write_text("x") and ["probe", "-m", "random", "--out", str(t / "afile" / "x")])
cli_case("cache-is-a-dir", "is a folder",
         lambda t: (t / "cdir").mkdir() or ["probe", "-m", "random", "--out", str(t / "out"), "--cache", str(t / "cdir")])
cli_case("cache-garbage", "not an SQLite cache file",
         lambda t: (t / "c.sqlite").write_bytes(os.urandom(4096)) and
         ["probe", "-m", "random", "--out", str(t / "out"), "--cache", str(t / "c.sqlite")])
cli_case("cache-text-file", "not an SQLite cache file",
         lambda t: (t / "notes.txt").write_text("my notes") and
         ["probe", "-m", "random", "--out", str(t / "out"), "--cache", str(t / "notes.txt")])
cli_case("cache-under-a-file", "cannot be created under it",
         lambda t: (t / "afile").write_text("x") and
         ["probe", "-m", "random", "--out", str(t / "out"), "--cache", str(t / "afile" / "c.sqlite")])
cli_case("limit-zero", "limit", lambda t: probe_args(t, "--limit", "0"))
cli_case("max-tokens-zero", "max_tokens", lambda t: probe_args(t, "--max-tokens", "0"))
cli_case("mode-unknown", "mode", lambda t: probe_args(t, "--mode", "guess"))
cli_case("option-no-equals", "expects KEY=VALUE", lambda t: probe_args(t, "-o", "novalue"))
cli_case("option-unknown", "no option", lambda t: probe_args(t, "-o", "colour=blue"))
cli_case("option-bad-yaml", "not a valid value", lambda t: probe_args(t, "-o", "x=[unclosed"))
cli_case("option-alias-bomb", "alias", lambda t: probe_args(t, "-o", "x=" + "[" + ",".join(["&a 1"] + ["*a"] * 200) + "]"))
cli_case("base-url-not-a-url", "expected an http:// or https:// URL",
         lambda t: ["probe", "-m", "openai:x", "--base-url", "not a url", "--out", str(t / "out")])
cli_case("base-url-no-scheme", "expected an http:// or https:// URL",
         lambda t: ["probe", "-m", "openai:x", "--base-url", "127.0.0.1:8000/v1", "--out", str(t / "out")])
cli_case("categories-unknown", "unknown category", lambda t: probe_args(t, "--categories", "acoustics"))
cli_case("config-binary", "binary file",
         lambda t: (t / "c.yaml").write_bytes(b"\x7fELF\x00\x00") and ["probe", "--config", str(t / "c.yaml")])
cli_case("config-directory", "is a directory", lambda t: ["probe", "--config", str(t)])
cli_case("review-port-huge", "not a TCP port", lambda t: ["review", "serve", "--port", "99999", "--db", str(t / "r.sqlite")])
cli_case("review-port-negative", "not a TCP port", lambda t: ["review", "serve", "--port", "-1", "--db", str(t / "r.sqlite")])
cli_case("adjudicate-port-huge", "not a TCP port", lambda t: ["review", "adjudicate", "--port", "70000", "--db", str(t / "r.sqlite")])
cli_case("cascade-temperature-nan", "temperature",
         lambda t: ["cascade", "-m", "random", "--temperature", "nan", "--out", str(t / "out"), "--no-progress"])
cli_case("cascade-out-is-a-file", "is not a folder",
         lambda t: (t / "afile").write_text("x") and ["cascade", "-m", "random", "--out", str(t / "afile")])
cli_case("cascade-unknown-benchmark", "unknown benchmark",
         lambda t: ["cascade", "-b", "nope:x", "-m", "random", "--out", str(t / "out")])
cli_case("train-config-missing", "file not found", lambda t: ["ground", "train", str(t / "nope.yaml")])
cli_case("train-config-directory", "is a directory", lambda t: ["ground", "train", str(t)])


# ---------------------------------------------------------------------------- the test
def _snapshot(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@pytest.mark.parametrize("c", CASES, ids=[c.id for c in CASES])
def test_malformed_input_is_one_line_nonzero_and_writes_nothing(c: Case, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    args = c.build(work)
    before = _snapshot(work)
    cache_dir = Path(os.environ["AKB_CACHE_DIR"])
    cache_before = _snapshot(cache_dir)
    code, out, err = run_cli(*args)
    assert code == c.code, (code, out, err)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err + out
    assert lines[0].startswith("error: "), lines[0]
    assert c.expect.lower() in lines[0].lower(), lines[0]
    assert _snapshot(work) == before, sorted(_snapshot(work) - before)  # nothing half-written
    assert not (work / "out").exists()
    assert _snapshot(cache_dir) == cache_before


def test_the_corpus_has_over_100_cases() -> None:
    assert len(CASES) >= 100, len(CASES)
    assert len({c.id for c in CASES}) == len(CASES)
