"""Audio benchmarks (MMAU, MMAR, the synthetic suite) as :class:`AudioItem` lists.

A spec names the benchmark and its file: ``mmau:PATH/mmau-test-mini.json``,
``mmar:PATH/MMAR-meta.json``, ``synth`` (built on the fly) or ``synth:DIR``. Adding a
benchmark is one module with a ``load(path, audio_root)`` function plus one
:func:`register_benchmark` of its :class:`BenchmarkSpec` (or an ``akb.benchmarks`` entry
point naming the spec). The spec carries everything the rest of akb needs to know: the
loader, the key the official scorer reads predictions from, and the display label.

Reading is strict about the file and lenient about items: a file that is not JSON is one
:class:`DataError` naming file, line and column; an item that is malformed (a missing
field, 9 choices, an answer that is not a choice, a duplicate id) is set aside as an
:class:`ItemProblem` naming file, entry and field, and the rest of the benchmark runs.
"""

from __future__ import annotations

import hashlib
import importlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from akb.audiobench.items import AudioItem
from akb.core.errors import ConfigError, DataError
from akb.core.jsonl import JsonShapeError, check_input_file, loads_strict


@dataclass(frozen=True)
class BenchmarkSpec:
    """An audio benchmark as the registry knows it."""

    name: str  # the spec prefix: mmau, mmar, synth
    loader: str  # "module:function", called as function(arg, audio_root, **kwargs) -> AudioBenchmark
    label: str  # display name in tables: MMAU
    prediction_key: str = "model_output"  # the key the official script reads predictions from
    # the keys ``akb score`` looks for in a predictions file, in order
    prediction_keys: tuple[str, ...] = ("model_output", "model_prediction", "answer_prediction", "prediction",
                                        "pred", "response")
    paper_split: str | None = None  # the split the study reports; other splits are other settings

    def load(self, arg: str | None, audio_root: Path | None = None, **kwargs: Any) -> AudioBenchmark:
        module, _, attr = self.loader.partition(":")
        bench: AudioBenchmark = getattr(importlib.import_module(module), attr)(arg, audio_root, **kwargs)
        return bench


_REGISTRY: dict[str, BenchmarkSpec] = {}


def register_benchmark(spec: BenchmarkSpec) -> BenchmarkSpec:
    _REGISTRY[spec.name] = spec
    return spec


# MMAU's script reads 'model_output' (its README says 'model_prediction'); MMAR's reads
# 'answer_prediction'. The synthetic suite is in MMAU's format.
register_benchmark(BenchmarkSpec("mmau", "akb.audiobench.mmau:load", "MMAU", paper_split="test-mini"))
register_benchmark(BenchmarkSpec(
    "mmar", "akb.audiobench.mmar:load", "MMAR", prediction_key="answer_prediction",
    prediction_keys=("answer_prediction", "model_output", "model_prediction", "prediction", "pred", "response")))
register_benchmark(BenchmarkSpec("synth", "akb.audiobench.synth:load", "Synth"))


def available_benchmarks() -> dict[str, BenchmarkSpec]:
    """The registered benchmarks plus those of installed plugins (``akb.benchmarks`` entry points)."""
    out = dict(_REGISTRY)
    for ep in entry_points(group="akb.benchmarks"):
        if ep.name not in out:
            spec = ep.load()
            out[ep.name] = spec if isinstance(spec, BenchmarkSpec) else BenchmarkSpec(ep.name, ep.value, ep.name.upper())
    return out


def get_benchmark(name: str) -> BenchmarkSpec:
    table = available_benchmarks()
    if name not in table:
        raise ConfigError(f"unknown benchmark '{name}'; known: {', '.join(sorted(table))} (e.g. mmau:PATH/mmau-test-mini.json)")
    return table[name]


def benchmark_label(name: str) -> str:
    """The display name of a benchmark id, with a split suffix kept: mmau-test -> MMAU-test."""
    base, _, split = name.partition("-")
    spec = available_benchmarks().get(base)
    return (spec.label if spec else base.upper()) + (f"-{split}" if split else "")


@dataclass
class ItemProblem:
    where: str  # file:line (JSONL) or file[#index] (JSON list)
    id: str | None
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {f'item {self.id!r}: ' if self.id else ''}{self.message}"


@dataclass
class AudioBenchmark:
    name: str  # mmau | mmar | synth
    split: str | None
    path: Path
    audio_root: Path
    items: list[AudioItem]
    problems: list[ItemProblem] = field(default_factory=list)
    sha256: str = ""
    records: dict[str, dict[str, Any]] = field(default_factory=dict)  # original entries by id

    @property
    def prediction_key(self) -> str:
        """The key the benchmark's official script reads predictions from."""
        spec = available_benchmarks().get(self.name)
        return spec.prediction_key if spec else "model_output"


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:16]


def iter_records(path: Path) -> Iterator[tuple[str, int | None, dict[str, Any] | ItemProblem]]:
    """(where, line, record or problem) for every entry of a JSON list or a JSONL file.

    A JSON file that does not parse raises DataError (nothing in it can be trusted); a JSONL
    line that does not parse is one problem and the other lines are read."""
    if not path.exists():
        raise DataError("benchmark file not found", file=path)
    if path.is_dir():
        raise DataError("is a directory, expected a benchmark JSON or JSONL file", file=path)
    check_input_file(path, "a benchmark JSON or JSONL file")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise DataError(f"not valid UTF-8 (byte 0x{raw[e.start]:02x} at offset {e.start})", file=path) from None
    if path.suffix.lower() == ".jsonl":
        for lineno, line in enumerate(text.split("\n"), start=1):
            if not line.strip():
                continue
            where = f"{path}:{lineno}"
            try:
                obj = loads_strict(line)
            except json.JSONDecodeError as e:
                yield where, lineno, ItemProblem(where, None, f"not valid JSON ({e.msg} at column {e.colno})")
                continue
            except JsonShapeError as e:
                yield where, lineno, ItemProblem(where, None, f"refused JSON: {e}")
                continue
            if not isinstance(obj, dict):
                yield where, lineno, ItemProblem(where, None, f"expected a JSON object, got {type(obj).__name__}")
                continue
            yield where, lineno, obj
        return
    try:
        data = loads_strict(text)
    except json.JSONDecodeError as e:
        raise DataError(f"not valid JSON ({e.msg} at column {e.colno})", file=path, line=e.lineno) from None
    except JsonShapeError as e:
        raise DataError(f"refused JSON: {e}", file=path) from None
    if isinstance(data, dict):
        lists = [v for v in data.values() if isinstance(v, list)]
        if len(lists) != 1:
            raise DataError("expected a JSON list of items (or an object holding one list)", file=path)
        data = lists[0]
    if not isinstance(data, list):
        raise DataError(f"expected a JSON list of items, got {type(data).__name__}", file=path)
    for i, obj in enumerate(data):
        where = f"{path}[#{i}]"
        if not isinstance(obj, dict):
            yield where, None, ItemProblem(where, None, f"expected a JSON object, got {type(obj).__name__}")
            continue
        yield where, None, obj


Converter = Callable[[dict[str, Any]], dict[str, Any]]


def convert_records(path: Path, name: str, convert: Converter) -> tuple[list[AudioItem], list[ItemProblem], dict[str, dict[str, Any]]]:
    """Records -> AudioItems with ``convert`` (which maps a record to AudioItem fields and
    raises KeyError naming a missing field); every bad entry becomes an ItemProblem."""
    items: list[AudioItem] = []
    problems: list[ItemProblem] = []
    records: dict[str, dict[str, Any]] = {}
    for where, _line, rec in iter_records(path):
        if isinstance(rec, ItemProblem):
            problems.append(rec)
            continue
        rid = rec.get("id")
        rid_s = str(rid) if rid is not None else None
        try:
            fields = convert(rec)
            item = AudioItem(benchmark=name, meta=rec, **fields)
        except KeyError as e:
            problems.append(ItemProblem(where, rid_s, f"field '{e.args[0]}' is missing"))
            continue
        except (TypeError, ValueError) as e:
            if isinstance(e, ValidationError):
                err = e.errors()[0]
                loc = ".".join(str(p) for p in err["loc"]) or "item"
                msg = err["msg"].removeprefix("Value error, ")
                problems.append(ItemProblem(where, rid_s, f"field '{loc}': {msg}"))
            else:
                problems.append(ItemProblem(where, rid_s, str(e)))
            continue
        if item.id in records:
            problems.append(ItemProblem(where, item.id, "duplicate id (the first one is kept)"))
            continue
        records[item.id] = rec
        items.append(item)
    # A file is a labelled split or an unlabelled one (MMAU test). An entry without an answer
    # among labelled ones is a broken entry, not an unscored one.
    labelled = [it for it in items if it.labelled]
    if labelled and len(labelled) < len(items):
        for it in items:
            if not it.labelled:
                problems.append(ItemProblem(f"{path} (id {it.id})", it.id,
                                            f"field 'answer' is missing, but {len(labelled)} other entries have one"))
                del records[it.id]
        items = labelled
    if not items:
        detail = f" ({len(problems)} broken; first: {problems[0]})" if problems else ""
        raise DataError(f"no usable {name} entries{detail}", file=path)
    return items, problems, records


def choices_of(rec: dict[str, Any]) -> list[str]:
    ch = rec["choices"]
    if not isinstance(ch, list):
        raise TypeError(f"field 'choices': expected a list, got {type(ch).__name__}")
    for i, c in enumerate(ch):
        if isinstance(c, bool) or not isinstance(c, (str, int, float)):
            raise TypeError(f"field 'choices': choice {i + 1} is {type(c).__name__ if c is not None else 'null'}, "
                            "expected text")
    return [str(c) for c in ch]


def required_str(rec: dict[str, Any], key: str) -> str:
    """A required text field: present (else KeyError), text, not blank (null is not "None")."""
    v = rec[key]
    if isinstance(v, bool) or not isinstance(v, (str, int, float)):
        raise TypeError(f"field '{key}': expected text, got {type(v).__name__ if v is not None else 'null'}")
    if not str(v).strip():
        raise TypeError(f"field '{key}': is empty")
    return str(v)


def optional_str(rec: dict[str, Any], key: str) -> str | None:
    v = rec.get(key)
    return None if v is None or (isinstance(v, str) and not v.strip()) else str(v)


def standard_fields(rec: dict[str, Any], *, audio_key: str, group_key: str) -> dict[str, Any]:
    """AudioItem fields from an MMAU-style entry; a missing required field raises KeyError."""
    return {
        "id": required_str(rec, "id"),
        "question": required_str(rec, "question"),
        "choices": choices_of(rec),
        "answer": optional_str(rec, "answer"),
        "audio": required_str(rec, audio_key),
        "group": optional_str(rec, group_key),
        "category": optional_str(rec, "category"),
        "subcategory": optional_str(rec, "sub-category"),
        "difficulty": optional_str(rec, "difficulty"),
    }


def parse_spec(spec: str) -> tuple[str, str | None]:
    name, _, arg = spec.strip().partition(":")
    return name.strip().lower(), (arg.strip() or None)


def benchmark_spec(data: str, benchmark: str | None = None, *, default: str = "mmau") -> str:
    """The spec for ``data``: a spec already (``mmau:FILE``, ``mmar:FILE``, ``synth[:DIR]``),
    or a plain file read as ``benchmark`` (by default MMAU's format, which the synthetic
    suite shares). A spec whose benchmark contradicts ``benchmark`` is refused."""
    name, _ = parse_spec(data)
    want = benchmark.strip().lower() if benchmark else None
    known = available_benchmarks()
    if want is not None and want not in known:
        raise ConfigError(f"unknown benchmark '{benchmark}'; known: {', '.join(sorted(known))}")
    if name in known:
        if want is not None and want != name:
            raise ConfigError(f"'{data}' names the benchmark {name}, but {want} was asked for")
        return data
    return f"{want or default}:{data}"


def load_audio_benchmark(spec: str, audio_root: str | Path | None = None, **kwargs: Any) -> AudioBenchmark:
    """Load ``mmau:PATH``, ``mmar:PATH``, ``synth`` or ``synth:DIR``."""
    name, arg = parse_spec(spec)
    return get_benchmark(name).load(arg, Path(audio_root) if audio_root else None, **kwargs)
