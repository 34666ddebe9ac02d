"""Local Hugging Face causal LMs through transformers.

Two ways to answer:
- ``generate``: batched, left-padded generation with the tokenizer's chat template.
- ``letter_logprobs``: ONE forward pass per request; the log-probability of each option
  letter's token right after the prompt. For a single-token letter continuation this is
  exactly the full-sequence log-likelihood of that continuation.

``hf:PATH/model.gguf`` loads a GGUF file through transformers and the ``gguf`` package,
dequantised (as ``lm_eval --model hf --model_args pretrained=DIR,gguf_file=NAME`` does);
``hf:smollm2-135m-instruct`` and ``hf:gemma-3-270m`` name the offline models of
:mod:`akb.models.realmodels`. The model loads on first use, so a run whose answers are all
cached needs no weights.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from akb.core.errors import BackendError, ConfigError, MissingDependencyError
from akb.core.hashing import directory_fingerprint, file_fingerprint, stable_hash
from akb.models.base import BaseBackend, ChatRequest, Response
from akb.models.spec import ModelConfig, options_model


class HFOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    dtype: Literal["auto", "bfloat16", "float16", "float32"] = "auto"
    device: str = "auto"  # auto | cpu | cuda | cuda:N | mps
    # Shard a model too big for one GPU over all visible GPUs (accelerate): "auto".
    device_map: str | None = None
    # A PEFT (LoRA) adapter folder applied on top of the model.
    adapter: str | None = None
    batch_size: int = 8
    revision: str | None = None
    trust_remote_code: bool = False
    chat_template: Literal["auto", "none"] = "auto"
    chat_template_kwargs: dict[str, Any] = {}
    # How a model without a chat template sees the messages: contents concatenated (a blank
    # line between two only where neither has whitespace at the join, as lm-eval renders a
    # description and a question), then this suffix unless the text already ends with it
    # (the canonical AKB prompt ends in "Answer:"); logprob mode scores the letter after it.
    plain_suffix: str = "\n\nAnswer:"
    tokenizer: str | None = None
    attn_implementation: str | None = None
    max_input_tokens: int | None = None


def plain_text(messages: Sequence[dict[str, str]], suffix: str) -> str:
    """Messages as one text for a model without a chat template (see ``plain_suffix``)."""
    out = ""
    for m in messages:
        c = m["content"]
        if out and c and not (out[-1].isspace() or c[0].isspace()):
            out += "\n\n"
        out += c
    if suffix and not out.rstrip().endswith(suffix.strip()):
        out += suffix
    return out


CONVERTED_MARKER = "akb-converted-from-gguf.json"


@contextmanager
def _quiet_gguf_progress() -> Iterator[None]:
    """No "Converting and de-quantizing GGUF tensors" bar: akb's own progress is enough."""
    try:
        import transformers.modeling_gguf_pytorch_utils as g
    except ImportError:
        yield
        return
    orig = getattr(g, "tqdm", None)
    if orig is None:
        yield
        return
    g.tqdm = functools.partial(orig, disable=True)
    try:
        yield
    finally:
        g.tqdm = orig


def _import_torch_transformers() -> tuple[Any, Any]:
    try:
        import torch
        import transformers
    except ImportError:
        raise MissingDependencyError("transformers", "hf", "the hf backend") from None
    return torch, transformers


class HFBackend(BaseBackend):
    name: ClassVar[str] = "hf"
    supports_logprobs: ClassVar[bool] = True

    def __init__(self, model: str, options: HFOptions | None = None, *, model_obj: Any = None, tokenizer: Any = None) -> None:
        if not model and model_obj is None:
            raise ConfigError("the hf backend needs a model: hf:NAME_OR_PATH")
        self.model_name = model
        self.opts = options or HFOptions()
        self._batch_size = self.opts.batch_size
        self._model = model_obj
        self._tok = tokenizer
        self._identity: dict[str, Any] | None = None
        self._letter_ids: dict[tuple[str, tuple[str, ...]], list[int]] = {}
        self._gguf: Path | bool | None = None  # False: not a GGUF model

    @classmethod
    def from_config(cls, cfg: ModelConfig) -> HFBackend:
        return cls(cfg.model, options_model(HFOptions, cfg))

    # ----------------------------------------------------------------- GGUF
    def gguf_path(self) -> Path | None:
        """The GGUF file this backend loads, or None for a folder or hub model."""
        if self._gguf is None:
            from akb.models import realmodels

            p = Path(self.model_name).expanduser()
            if p.suffix.lower() == ".gguf":
                if not p.is_file():
                    raise ConfigError(f"no GGUF file at {p}")
                self._gguf = p.resolve()
            else:
                self._gguf = realmodels.resolve(self.model_name) or False
        return self._gguf if isinstance(self._gguf, Path) else None

    # ----------------------------------------------------------------- identity
    def _revision(self) -> str:
        gguf = self.gguf_path()
        if gguf is not None:
            return "sha256:" + file_fingerprint(gguf)
        p = Path(self.model_name).expanduser()
        if p.is_dir():
            return "sha256:" + directory_fingerprint(p)
        if self._model is not None:
            commit = getattr(self._model.config, "_commit_hash", None)
            if commit:
                return str(commit)
        try:
            from huggingface_hub import snapshot_download

            path = snapshot_download(self.model_name, revision=self.opts.revision, local_files_only=True)
            return Path(path).name
        except Exception:
            return self.opts.revision or "unresolved"

    def identity(self) -> dict[str, Any]:
        if self._identity is None:
            self._identity = {
                "backend": "hf",
                "model": self.model_name,
                "revision": self._revision(),
                "dtype": self.opts.dtype,
                "chat_template": self.opts.chat_template,
                "chat_template_kwargs": self.opts.chat_template_kwargs,
                "plain_suffix": self.opts.plain_suffix,
            }
            if self.opts.adapter:
                self._identity["adapter"] = "sha256:" + directory_fingerprint(Path(self.opts.adapter).expanduser())
        return self._identity

    # ----------------------------------------------------------------- loading
    def _device(self, torch: Any) -> str:
        if self.opts.device != "auto":
            return self.opts.device
        if torch.cuda.is_available():
            return "cuda"
        return "cpu"

    def _source(self) -> tuple[str, dict[str, Any]]:
        """What from_pretrained reads: the folder and gguf_file of a GGUF model, else the name."""
        gguf = self.gguf_path()
        if gguf is None:
            return self.model_name, {}
        converted = self._converted_dir()
        if converted is not None and (converted / CONVERTED_MARKER).is_file():
            return str(converted), {}
        try:
            import gguf as _gguf  # noqa: F401
        except ImportError:
            raise MissingDependencyError("gguf", "realmodels", "loading a GGUF model") from None
        return str(gguf.parent), {"gguf_file": gguf.name}

    def _converted_dir(self) -> Path | None:
        """Where the dequantised float32 copy of a GGUF model is kept after its first load.

        Reading a GGUF file's metadata (a 262k-token vocabulary for Gemma) and dequantising
        takes minutes on a busy CPU; the saved copy loads in seconds and holds the same
        float32 weights and tokenizer. Keyed by the GGUF file's fingerprint."""
        gguf = self.gguf_path()
        if gguf is None:
            return None
        from akb.core.paths import cache_dir

        return cache_dir() / "gguf" / f"{gguf.stem}-{file_fingerprint(gguf)}"

    def _save_converted(self, model: Any, tok: Any) -> None:
        import os
        import shutil

        torch, _ = _import_torch_transformers()
        target = self._converted_dir()
        if target is None or model.dtype != torch.float32:
            return  # only the dequantised float32 weights, so every later load is the same model
        tmp = target.with_name(f"{target.name}.tmp{os.getpid()}")
        try:
            shutil.rmtree(tmp, ignore_errors=True)
            # The weights are already dequantised float32; transformers still flags the model
            # as GGUF-quantised and refuses to save it, so the flag is lifted for the save.
            quantizer = getattr(model, "hf_quantizer", None)
            qcfg = getattr(model.config, "quantization_config", None)
            try:
                model.hf_quantizer = None
                if qcfg is not None:
                    del model.config.quantization_config
                model.save_pretrained(tmp)
            finally:
                model.hf_quantizer = quantizer
                if qcfg is not None:
                    model.config.quantization_config = qcfg
            tok.save_pretrained(tmp)
            (tmp / CONVERTED_MARKER).write_text(json.dumps({"gguf": str(self.gguf_path())}), encoding="utf-8")
            shutil.rmtree(target, ignore_errors=True)
            os.replace(tmp, target)
        except (OSError, ValueError, AttributeError):
            shutil.rmtree(tmp, ignore_errors=True)  # a cache: loading still worked

    def _load(self) -> tuple[Any, Any]:
        torch, transformers = _import_torch_transformers()
        source, gguf_kwargs = self._source() if (self._tok is None or self._model is None) else ("", {})
        if self._tok is None:
            try:
                self._tok = transformers.AutoTokenizer.from_pretrained(
                    self.opts.tokenizer or source,
                    revision=self.opts.revision,
                    trust_remote_code=self.opts.trust_remote_code,
                    **({} if self.opts.tokenizer else gguf_kwargs),
                )
            except OSError as e:
                raise BackendError(f"cannot load tokenizer for '{self.model_name}': {str(e).splitlines()[0]}") from None
        if self._model is None:
            dtype: Any = "auto" if self.opts.dtype == "auto" else getattr(torch, self.opts.dtype)
            kwargs: dict[str, Any] = {"dtype": dtype, "revision": self.opts.revision,
                                      "trust_remote_code": self.opts.trust_remote_code, **gguf_kwargs}
            if self.opts.attn_implementation:
                kwargs["attn_implementation"] = self.opts.attn_implementation
            if self.opts.device_map:
                kwargs["device_map"] = self.opts.device_map
            try:
                if gguf_kwargs:
                    with _quiet_gguf_progress():
                        model = transformers.AutoModelForCausalLM.from_pretrained(source, **kwargs)
                else:
                    model = transformers.AutoModelForCausalLM.from_pretrained(source, **kwargs)
            except OSError as e:
                raise BackendError(f"cannot load model '{self.model_name}': {str(e).splitlines()[0]}") from None
            if gguf_kwargs and not self.opts.tokenizer and not self.opts.device_map:
                self._save_converted(model, self._tok)
            if not self.opts.device_map:
                model = model.to(self._device(torch))
            if self.opts.adapter:
                try:
                    from peft import PeftModel
                except ImportError:
                    raise MissingDependencyError("peft", "hf", "loading an adapter") from None
                try:
                    model = PeftModel.from_pretrained(model, self.opts.adapter)
                except (OSError, ValueError) as e:
                    raise BackendError(f"cannot load adapter '{self.opts.adapter}': {str(e).splitlines()[0]}") from None
            self._model = model.eval()
        tok = self._tok
        tok.padding_side = "left"
        if tok.pad_token_id is None:
            if tok.eos_token_id is None:
                raise BackendError(f"tokenizer of '{self.model_name}' has neither a pad nor an eos token")
            tok.pad_token = tok.eos_token
        return self._model, tok

    # ----------------------------------------------------------------- prompts
    def _uses_chat_template(self, tok: Any) -> bool:
        return self.opts.chat_template == "auto" and bool(getattr(tok, "chat_template", None))

    def render(self, request: ChatRequest) -> str:
        """The exact text the model sees."""
        _, tok = self._load()
        msgs = [m.model_dump() for m in request.messages]
        if self._uses_chat_template(tok):
            text: str = tok.apply_chat_template(
                msgs, tokenize=False, add_generation_prompt=True, **self.opts.chat_template_kwargs
            )
            return text
        return plain_text(msgs, self.opts.plain_suffix)

    def _encode(self, texts: list[str]) -> Any:
        _, tok = self._load()
        add_special = not self._uses_chat_template(tok)  # chat templates already carry BOS
        kwargs: dict[str, Any] = {}
        if self.opts.max_input_tokens:
            kwargs = {"truncation": True, "max_length": self.opts.max_input_tokens}
        return tok(texts, return_tensors="pt", padding=True, add_special_tokens=add_special, **kwargs)

    def letter_token_ids(self, prompt: str, letters: Sequence[str]) -> list[int]:
        """Token id of each letter as it would follow ``prompt`` (space-prefixed after text)."""
        _, tok = self._load()
        ending = prompt[-40:]
        key = (ending, tuple(letters))
        if key in self._letter_ids:
            return self._letter_ids[key]
        base = tok(ending, add_special_tokens=False)["input_ids"]
        sep = "" if prompt[-1:].isspace() or prompt.endswith(("(", "[")) else " "
        ids: list[int] = []
        for letter in letters:
            full = tok(ending + sep + letter, add_special_tokens=False)["input_ids"]
            if full[: len(base)] != base or len(full) <= len(base):
                raise BackendError(
                    f"letter {letter!r} merges with the end of the prompt in this tokenizer; "
                    "set the option plain_suffix so the prompt ends in a separator"
                )
            ids.append(full[len(base)])
        if len(set(ids)) != len(ids):
            raise BackendError("option letters share their first token in this tokenizer; logprob mode cannot tell them apart")
        self._letter_ids[key] = ids
        return ids

    # ----------------------------------------------------------------- answering
    def letter_logprobs(self, requests: Sequence[ChatRequest]) -> list[Response]:
        torch, _ = _import_torch_transformers()
        model, _ = self._load()
        prompts = [self.render(r) for r in requests]
        t0 = time.perf_counter()
        enc = self._encode(prompts).to(model.device)
        # Left padding: positions must count from each row's first real token, as they
        # would without padding (generate() does this itself; a plain forward does not).
        position_ids = (enc["attention_mask"].cumsum(-1) - 1).clamp(min=0)
        with torch.inference_mode():
            try:  # only the last position's logits: a 262k-token vocabulary costs as much as the model
                out = model(**enc, position_ids=position_ids, logits_to_keep=1)
            except TypeError:  # a model class without logits_to_keep
                out = model(**enc, position_ids=position_ids)
            logits = out.logits[:, -1, :].float()
        logp = torch.log_softmax(logits, dim=-1)
        elapsed = (time.perf_counter() - t0) / max(1, len(requests))
        out: list[Response] = []
        for i, (req, prompt) in enumerate(zip(requests, prompts, strict=True)):
            letters = req.letters or (req.mcq.letters if req.mcq else None)
            if not letters:
                raise ConfigError("logprob mode needs the option letters in the request")
            ids = self.letter_token_ids(prompt, letters)
            scores = {L: float(logp[i, t]) for L, t in zip(letters, ids, strict=True)}
            best = max(scores, key=lambda k: scores[k])
            out.append(
                Response(
                    text=best,
                    letter_logprobs=scores,
                    prompt_tokens=int(enc["attention_mask"][i].sum()),
                    completion_tokens=0,
                    latency_s=elapsed,
                    finish_reason="logprob",
                )
            )
        return out

    def generate(self, requests: Sequence[ChatRequest]) -> list[Response]:
        torch, _ = _import_torch_transformers()
        model, tok = self._load()
        out: list[Response] = []
        # Requests in one call share decoding settings in practice; group to be safe.
        groups: dict[str, list[int]] = {}
        for i, r in enumerate(requests):
            key = stable_hash([r.max_tokens, r.temperature, r.top_p, r.seed, r.stop])
            groups.setdefault(key, []).append(i)
        results: dict[int, Response] = {}
        for idxs in groups.values():
            first = requests[idxs[0]]
            prompts = [self.render(requests[i]) for i in idxs]
            enc = self._encode(prompts).to(model.device)
            gen_kwargs: dict[str, Any] = {
                "max_new_tokens": first.max_tokens,
                "pad_token_id": tok.pad_token_id,
                "do_sample": first.temperature > 0,
            }
            if first.temperature > 0:
                gen_kwargs["temperature"] = first.temperature
                if first.top_p is not None:
                    gen_kwargs["top_p"] = first.top_p
                if first.seed is not None:
                    torch.manual_seed(first.seed)
            t0 = time.perf_counter()
            with torch.inference_mode():
                seqs = model.generate(**enc, **gen_kwargs)
            elapsed = (time.perf_counter() - t0) / len(idxs)
            new = seqs[:, enc["input_ids"].shape[1] :]
            for row, i in enumerate(idxs):
                ids = new[row].tolist()
                n_gen = len(ids)
                finish = "length"
                if tok.eos_token_id is not None and tok.eos_token_id in ids:
                    n_gen = ids.index(tok.eos_token_id) + 1
                    finish = "stop"
                text = tok.decode(ids[:n_gen], skip_special_tokens=True)
                for s in requests[i].stop or []:
                    if s in text:
                        text, finish = text[: text.index(s)], "stop"
                results[i] = Response(
                    text=text.strip(),
                    prompt_tokens=int(enc["attention_mask"][row].sum()),
                    completion_tokens=n_gen,
                    latency_s=elapsed,
                    finish_reason=finish,
                )
        out = [results[i] for i in range(len(requests))]
        return out

    def close(self) -> None:
        self._model = None
