"""DeSTA self-distillation data: clip metadata -> seed description -> LLM request -> record.

For each clip the metadata (transcript, speaker and sound attributes, labels, caption) is
written as a *seed description* in DeSTA's form, e.g.::

    [00:00-00:02] Excuse me? (Emotion: Neutral, Gender: Female, Pitch: Very high, Volume: Low, Speaking speed: Very slow, Duration: 2s)
    [00:00-00:10] (speech, gush)

An instruction is drawn from a pool; the backbone LLM answers *seed description +
instruction*, and its answer becomes the training target for *audio + instruction*: the
audio takes the description's place in the same prompt layout.

Metadata schema (one JSON object per line; :class:`ClipMeta`):

- ``audio`` (also ``path``, ``audio_path``, ``audio_id``, ``file``): clip path relative to
  the audio root. Required.
- ``id`` (default: the audio path), ``dataset`` (default: the metadata file's stem).
- ``transcript`` (also ``text``): what is said; omit or leave empty for non-speech.
- ``duration`` (seconds; read from the file when absent).
- ``emotion``, ``gender``, ``age``, ``accent``, ``pitch``, ``volume``, ``speaking_rate``
  (also ``speaking_speed``, ``speed``), ``genre``: attribute values (text or numbers).
- ``sound_labels`` (also ``labels``, ``tags``): sound event labels, a list or a
  comma-separated string. ``caption``: a free-text description of the sound.
- ``attributes``: any further ``{name: value}`` pairs, described in their order.
- ``instructions``: the clip's own instructions (e.g. the questions a QA set asks about
  it); when present, the clip's draws come from them instead of the shared pool.
- Any other key is kept and, when its value is a plain value (text, number, true/false),
  described as an attribute too (``frequency_hz: 440`` -> ``Frequency hz: 440``), except
  bookkeeping keys such as ``split``, ``source``, ``question`` or ``answer``.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, field_validator

from akb.core.errors import ConfigError, DataError
from akb.core.hashing import stable_hash
from akb.core.jsonl import iter_jsonl
from akb.core.paths import data_path
from akb.lalm.config import AUDIO_LOCATOR, DEFAULT_SYSTEM_PROMPT

Scalar = str | int | float | bool

# Described attributes, in DeSTA's order; (field, label in the description).
ATTRIBUTES: tuple[tuple[str, str], ...] = (
    ("emotion", "Emotion"),
    ("gender", "Gender"),
    ("age", "Age"),
    ("accent", "Accent"),
    ("pitch", "Pitch"),
    ("volume", "Volume"),
    ("speaking_rate", "Speaking speed"),
    ("genre", "Genre"),
)

# Unknown keys that are bookkeeping, never described.
NOT_DESCRIBED = frozenset({
    "split", "source", "license", "url", "seed", "question", "choices", "answer", "sample_rate", "sr",
    "channels", "md5", "sha256", "subset", "index", "kind_id", "file_id", "speaker_id", "utt_id",
})


class ClipMeta(BaseModel):
    """One clip's metadata line. Unknown keys are kept (``model_extra``)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, str_strip_whitespace=True)

    audio: str = Field(min_length=1, validation_alias=AliasChoices("audio", "path", "audio_path", "audio_id", "file"))
    id: str | None = None
    dataset: str | None = None
    transcript: str | None = Field(None, validation_alias=AliasChoices("transcript", "text", "transcription"))
    duration: float | None = Field(None, ge=0, validation_alias=AliasChoices("duration", "duration_s", "seconds"))
    emotion: Scalar | None = None
    gender: Scalar | None = None
    age: Scalar | None = None
    accent: Scalar | None = None
    pitch: Scalar | None = None
    volume: Scalar | None = None
    speaking_rate: Scalar | None = Field(
        None, validation_alias=AliasChoices("speaking_rate", "speaking_speed", "speed"))
    genre: Scalar | None = None
    sound_labels: list[str] | None = Field(None, validation_alias=AliasChoices("sound_labels", "labels", "tags"))
    caption: str | None = None
    attributes: dict[str, Scalar | list[Scalar] | None] = Field(default_factory=dict)
    instructions: list[str] | None = Field(
        None, description="this clip's own instructions (e.g. questions about it from a QA set); its draws come "
        "from these instead of the shared pool")

    @field_validator("instructions")
    @classmethod
    def _instructions(cls, v: list[str] | None) -> list[str] | None:
        if v is None:
            return v
        v = list(dict.fromkeys(x.strip() for x in v if x.strip()))
        if not v:
            raise ValueError("instructions, when given, must hold at least one non-empty instruction")
        return v

    @field_validator("sound_labels", mode="before")
    @classmethod
    def _labels(cls, v: Any) -> Any:
        if isinstance(v, str):
            return [s.strip() for s in v.split(",") if s.strip()]
        return v

    @property
    def clip_id(self) -> str:
        return self.id or self.audio


def format_timestamp(seconds: float) -> str:
    """``mm:ss`` (``hh:mm:ss`` from one hour), rounded to the second."""
    s = int(round(max(0.0, seconds)))
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    return f"{h:02d}:{m:02d}:{sec:02d}" if h else f"{m:02d}:{sec:02d}"


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, list):
        return ", ".join(_value(x) for x in v)
    return str(v).strip()


def _label(key: str) -> str:
    text = key.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def _seconds(d: float) -> str:
    return f"{d:.0f}s" if d >= 1 else f"{d:.1f}s"


def seed_description(meta: ClipMeta, *, duration: float | None = None, describe_extra: bool = True,
                     with_duration: bool = True) -> str:
    """The clip as text, in DeSTA's form: ``[start-end] transcript (labels) (caption) (Key: Value, ...)``.

    Duration joins the attribute group (as in DeSTA's examples) only when that group has
    other attributes; a clip described only by labels or a caption gets none.
    """
    d = meta.duration if meta.duration is not None else duration
    if d is None:
        raise DataError(f"clip {meta.clip_id!r} has no duration; give 'duration' or a readable audio file")
    parts = [f"[{format_timestamp(0)}-{format_timestamp(d)}]"]
    if meta.transcript:
        parts.append(meta.transcript)
    if meta.sound_labels:
        parts.append("(" + ", ".join(meta.sound_labels) + ")")
    if meta.caption:
        parts.append(f"({meta.caption})")
    attrs: list[str] = []
    for field, label in ATTRIBUTES:
        v = getattr(meta, field)
        if v is not None and _value(v):
            attrs.append(f"{label}: {_value(v)}")
    for k, v in meta.attributes.items():
        if v is not None and _value(v):
            attrs.append(f"{_label(k)}: {_value(v)}")
    if describe_extra:
        for k, v in (meta.model_extra or {}).items():
            if k in NOT_DESCRIBED or k.startswith("_") or v is None or isinstance(v, dict | list):
                continue
            if _value(v):
                attrs.append(f"{_label(k)}: {_value(v)}")
    if attrs:
        if with_duration:
            attrs.append(f"Duration: {_seconds(d)}")
        parts.append("(" + ", ".join(attrs) + ")")
    return " ".join(parts)


def load_metadata(path: str | Path, *, limit: int | None = None) -> list[ClipMeta]:
    """Read a metadata JSONL; the first bad line raises one DataError naming file, line, field."""
    out: list[ClipMeta] = []
    seen: dict[str, int] = {}
    for lineno, obj in iter_jsonl(path):
        try:
            meta = ClipMeta.model_validate(obj)
        except ValidationError as e:
            err = e.errors()[0]
            field = ".".join(str(p) for p in err["loc"]) or None
            raise DataError(err["msg"], file=path, line=lineno, field=field) from None
        if meta.clip_id in seen:
            raise DataError(f"duplicate clip id {meta.clip_id!r} (first on line {seen[meta.clip_id]})",
                            file=path, line=lineno, field="id")
        seen[meta.clip_id] = lineno
        out.append(meta)
        if limit and len(out) >= limit:
            break
    if not out:
        raise DataError("no clips in the metadata file", file=path)
    return out


# ---------------------------------------------------------------------- instruction pool
def _read_instruction_file(path: Path) -> list[str]:
    from akb.core.configfile import load_yaml_text, read_config_text

    text = read_config_text(path, "instruction")
    if path.suffix in (".yaml", ".yml", ".json"):
        try:
            raw = load_yaml_text(text)
        except yaml.YAMLError as e:
            raise ConfigError(f"{path}: not valid YAML ({' '.join(str(e).split())})") from None
        items = raw.get("instructions") if isinstance(raw, dict) else raw
        if not isinstance(items, list) or not all(isinstance(x, str) for x in items):
            raise ConfigError(f"{path}: expected a list of instructions (or a mapping with 'instructions')")
        return [x.strip() for x in items if x.strip()]
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def load_instructions(extra: Sequence[str | Path] = (), *, replace: bool = False) -> list[str]:
    """The shipped pool, plus (or, with ``replace``, instead) the instructions in ``extra``
    files. Duplicates are dropped, order kept."""
    pool: list[str] = [] if replace else _read_instruction_file(data_path("desta_instructions.yaml"))
    for f in extra:
        pool += _read_instruction_file(Path(f))
    pool = list(dict.fromkeys(pool))
    if not pool:
        raise ConfigError("the instruction pool is empty")
    return pool


def pick_instructions(pool: Sequence[str], clip_id: str, k: int, seed: int) -> list[str]:
    """``k`` distinct instructions for a clip, from a hash of (seed, clip id): independent of
    shard, order and machine."""
    if k > len(pool):
        raise ConfigError(f"{k} instructions per clip asked for, the pool has {len(pool)}")
    rng = random.Random(int(stable_hash([seed, clip_id], 16), 16))
    return rng.sample(list(pool), k)


# ---------------------------------------------------------------------- records
def shard_of(key: str, n: int) -> int:
    """Which of ``n`` shards a sample belongs to (a hash, so shards stay balanced and stable)."""
    return int(stable_hash(key, 12), 16) % n


def generation_messages(seed: str, instruction: str, system: str | None = DEFAULT_SYSTEM_PROMPT) -> list[dict[str, str]]:
    """What the backbone LLM answers: the seed description stands where the audio will."""
    msgs = [{"role": "system", "content": system}] if system else []
    return msgs + [{"role": "user", "content": f"{seed}\n{instruction}"}]


def training_messages(audio: str, transcript: str | None, instruction: str,
                      system: str | None = DEFAULT_SYSTEM_PROMPT) -> list[dict[str, Any]]:
    """The same prompt with the audio in place of the description (DeSTA's record layout)."""
    msgs: list[dict[str, Any]] = [{"role": "system", "content": system}] if system else []
    return msgs + [{"role": "user", "content": f"{AUDIO_LOCATOR}\n{instruction}",
                    "audios": [{"audio": audio, "text": transcript or None}]}]


class AudioRef(BaseModel):
    model_config = ConfigDict(extra="allow")
    audio: str = Field(min_length=1)
    text: str | None = None


class Turn(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "user", "assistant"]
    content: str
    audios: list[AudioRef] = Field(default_factory=list)


class DistillRecord(BaseModel):
    """A self-distillation training example (DeSTA-AQA5M's fields; extra keys allowed)."""

    model_config = ConfigDict(extra="allow")
    id: str = Field(min_length=1)
    dataset: str | None = None
    seed_description: str | None = None
    prompt: str | None = None
    response: str
    messages: list[Turn]
    error: str | None = None

    def audio(self, locator: str = AUDIO_LOCATOR) -> tuple[str, str]:
        """(clip path, transcript) of the record's one audio; ValueError when it has not one."""
        refs = [(t, a) for t in self.messages for a in t.audios]
        if len(refs) != 1:
            raise ValueError(f"expected exactly one audio in 'messages', found {len(refs)}")
        turn, ref = refs[0]
        if turn.content.count(locator) != 1:
            raise ValueError(f"the message holding the audio must contain {locator!r} exactly once")
        return ref.audio, (ref.text or "").strip()

    def chat(self) -> list[dict[str, str]]:
        return [{"role": t.role, "content": t.content} for t in self.messages]
