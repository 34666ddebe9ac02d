"""``hf-audio-lm:NAME``: any transformers audio-text model that answers a prompt about a
clip (Qwen2-Audio, Qwen2.5-Omni, Voxtral, Granite-Speech and similar), used as a captioner.

The model class comes from transformers' auto mappings (multimodal LM, then seq2seq, then
causal LM) unless ``model_class`` names one. The prompt is the processor's own chat
template with one audio part and the caption prompt; decoding is greedy. Audio is
resampled to the processor's rate.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from pydantic import ConfigDict

from akb.audio.captioners._hf import HFCaptioner, HFCaptionerOptions, import_torch_transformers
from akb.audio.captioners.base import CaptionFailure, CaptionResult
from akb.audio.clip import Clip
from akb.audio.io import AudioError

DEFAULT_PROMPT = (
    "Describe this audio in detail: the sound sources and events, any speech (what is said, the "
    "speakers' voices, emotion and speaking rate), any music (instruments, genre, tempo, key, mood) "
    "and the recording quality."
)
AUTO_CLASSES = ("AutoModelForMultimodalLM", "AutoModelForSeq2SeqLM", "AutoModelForCausalLM")


class HFAudioLMOptions(HFCaptionerOptions):
    model_config = ConfigDict(extra="forbid")
    batch_size: int = 1
    prompt: str = DEFAULT_PROMPT
    system: str | None = None
    model_class: str | None = None  # e.g. Qwen2AudioForConditionalGeneration
    audio_kwarg: str = "audio"  # the processor's keyword for waveforms (older processors: "audios")


class HFAudioLMCaptioner(HFCaptioner):
    name: ClassVar[str] = "hf-audio-lm"
    label: ClassVar[str] = "Audio description"
    options_cls: ClassVar[type[HFCaptionerOptions]] = HFAudioLMOptions
    example: ClassVar[str] = "Qwen/Qwen2-Audio-7B-Instruct"

    def identity(self) -> dict[str, Any]:
        o = self.opts
        return {"captioner": "hf-audio-lm", "model": self.model_name, "revision": self._revision, "prompt": o.prompt,
                "system": o.system, "max_new_tokens": o.max_new_tokens, "dtype": o.dtype, "model_class": o.model_class}

    def load_model(self, tr: Any, dtype: Any, kw: dict[str, Any]) -> Any:
        names = (self.opts.model_class,) if self.opts.model_class else AUTO_CLASSES
        last: Exception | None = None
        for n in names:
            cls = getattr(tr, n, None)
            if cls is None:
                last = ValueError(f"transformers has no class {n}")
                continue
            try:
                model = cls.from_pretrained(self.model_name, dtype=dtype, **kw)
            except ValueError as e:  # not in this auto mapping: try the next one
                last = e
                continue
            tok = getattr(self._processor, "tokenizer", None)
            if tok is not None:
                tok.padding_side = "left"  # batched generation with a decoder-only LM
            return model
        raise last or ValueError("no model class fits")

    def prompt_text(self, proc: Any) -> str:
        msgs: list[dict[str, Any]] = []
        if self.opts.system:
            msgs.append({"role": "system", "content": [{"type": "text", "text": self.opts.system}]})
        msgs.append({"role": "user", "content": [{"type": "audio", "audio_url": "clip"},
                                                  {"type": "text", "text": self.opts.prompt}]})
        return str(proc.apply_chat_template(msgs, add_generation_prompt=True, tokenize=False))

    def caption(self, clips: Sequence[Clip]) -> list[CaptionResult]:
        torch, _ = import_torch_transformers()
        model, proc = self._load()
        sr = int(proc.feature_extractor.sampling_rate)
        results: list[CaptionResult | None] = [None] * len(clips)
        ok: list[tuple[int, Any]] = []
        for i, c in enumerate(clips):
            try:
                ok.append((i, c.load(sr=sr)[0]))
            except AudioError as e:
                results[i] = CaptionFailure(str(e))
        text = self.prompt_text(proc)
        for s in range(0, len(ok), max(1, self.batch_size)):
            chunk = ok[s : s + self.batch_size]
            inputs = proc(text=[text] * len(chunk), **{self.opts.audio_kwarg: [a for _, a in chunk]},
                          sampling_rate=sr, return_tensors="pt", padding=True)
            inputs = inputs.to(model.device)
            gen: dict[str, Any] = {"max_new_tokens": self.opts.max_new_tokens, "do_sample": False}
            if "Omni" in type(model).__name__:
                gen["return_audio"] = False  # Qwen2.5-Omni: text only
            with torch.inference_mode():
                out = model.generate(**inputs, **gen)
            seqs = out.sequences if hasattr(out, "sequences") else out
            new = seqs[:, inputs["input_ids"].shape[1] :]
            for (i, _), t in zip(chunk, proc.batch_decode(new, skip_special_tokens=True), strict=True):
                results[i] = t.strip() or CaptionFailure("the model returned an empty caption")
        return [r if r is not None else CaptionFailure("not captioned") for r in results]
