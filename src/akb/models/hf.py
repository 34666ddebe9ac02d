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

import copy
import functools
import json
import re
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from akb.core.errors import BackendError, ConfigError, MissingDependencyError
from akb.core.hashing import directory_fingerprint, file_fingerprint, stable_hash
from akb.models._batching import (
    MIN_PREFIX_TOKENS,
    common_prefix_len,
    letter_ids_after,
    plan_batches,
)
from akb.models.base import ChatRequest, Mode, Response, StreamingBackend
from akb.models.spec import ModelConfig, options_model


class HFOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    dtype: Literal["auto", "bfloat16", "float16", "float32"] = "auto"
    device: str = "auto"  # auto | cpu | cuda | cuda:N | mps
    # Shard a model too big for one GPU over all visible GPUs (accelerate): "auto".
    device_map: str | None = None
    # A PEFT (LoRA) adapter folder applied on top of the model.
    adapter: str | None = None
    # Most prompts in one forward pass; the token budget below usually binds first.
    batch_size: int = 64
    # Padded tokens per forward pass (rows x longest row). None: measured defaults (CPU) or
    # sized from free GPU memory.
    max_batch_tokens: int | None = None
    # Compute the prompts' common token prefix once and reuse its key/value cache.
    prefix_cache: bool = True
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


def weights_revision(model: str, revision: str | None = None) -> str | None:
    """The identity of a model's weights without loading them: a local folder's content
    fingerprint, a pinned commit, or the commit of the cached hub snapshot; None when the
    weights are not on disk yet."""
    p = Path(model).expanduser()
    if p.is_dir():
        return "sha256:" + directory_fingerprint(p)
    if revision and re.fullmatch(r"[0-9a-f]{40}", revision):
        return revision
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(model, revision=revision, local_files_only=True)).name
    except Exception:  # noqa: BLE001 - not cached (or no hub library): the caller decides
        return None


class HFBackend(StreamingBackend):
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
        rev = weights_revision(self.model_name, self.opts.revision)
        if rev is not None:
            return rev
        # Not on disk yet: the weights must be fetched for the run anyway. Load them first and
        # take the commit they came from, so that an interrupted first run and its resume
        # (when the weights are cached) record the same identity.
        if self._model is None:
            self._load()
        commit = getattr(getattr(self._model, "config", None), "_commit_hash", None)
        if commit:
            return str(commit)
        raise BackendError(f"cannot tell which revision of '{self.model_name}' this is; pin one with -o revision=COMMIT")

    def identity(self) -> dict[str, Any]:
        if self._identity is None:
            self._identity = {
                "backend": "hf",
                "model": self.model_name,
                "revision": self._revision(),
                "dtype": self._dtype_identity(),
                "chat_template": self.opts.chat_template,
                "chat_template_kwargs": self.opts.chat_template_kwargs,
                "plain_suffix": self.opts.plain_suffix,
            }
            if self.opts.adapter:
                self._identity["adapter"] = "sha256:" + directory_fingerprint(Path(self.opts.adapter).expanduser())
        return self._identity

    def _dtype_identity(self) -> str:
        """``auto`` means bf16 on CUDA (see _load) and the checkpoint's dtype elsewhere, so
        the two must not share cached answers."""
        if self.opts.dtype != "auto" or self.opts.device_map or self.opts.device == "cpu":
            return self.opts.dtype
        torch, _ = _import_torch_transformers()
        if self._device(torch).startswith("cuda") and torch.cuda.is_bf16_supported():
            return "auto:bfloat16"
        return "auto"

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
        from akb.core.paths import models_dir

        return models_dir() / "from-gguf" / f"{gguf.stem}-{file_fingerprint(gguf)}"

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
            device = self._device(torch)
            dtype: Any = "auto" if self.opts.dtype == "auto" else getattr(torch, self.opts.dtype)
            if device.startswith("cuda"):
                torch.backends.cuda.matmul.allow_tf32 = True
                torch.backends.cudnn.allow_tf32 = True
                if self.opts.dtype == "auto" and torch.cuda.is_bf16_supported():
                    dtype = torch.bfloat16  # an fp32 checkpoint would otherwise stay fp32
            kwargs: dict[str, Any] = {"dtype": dtype, "revision": self.opts.revision, "trust_remote_code": self.opts.trust_remote_code,
                                      **gguf_kwargs}
            if self.opts.attn_implementation:
                kwargs["attn_implementation"] = self.opts.attn_implementation
            # Straight onto the device: no copy of the weights through host memory.
            kwargs["device_map"] = self.opts.device_map or (device if device != "cpu" else None)
            if kwargs["device_map"] is None:
                del kwargs["device_map"]
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
            if "device_map" not in kwargs:
                model = model.to(device)
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
    def default_mode(self) -> str:
        """``logprob`` for a model without a chat template (a base model), else ``generate``."""
        _, tok = self._load()
        return "generate" if self._uses_chat_template(tok) else "logprob"

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

    def letter_token_ids(self, prompt: str, letters: Sequence[str]) -> list[int]:
        """Token id of each letter as it would follow ``prompt`` (space-prefixed after text)."""
        _, tok = self._load()
        ending = prompt[-40:]
        key = (ending, tuple(letters))
        if key in self._letter_ids:
            return self._letter_ids[key]
        ids = letter_ids_after(tok, prompt, letters)
        self._letter_ids[key] = ids
        return ids

    # ----------------------------------------------------------------- answering
    def answer_stream(self, requests: Sequence[ChatRequest], mode: Mode) -> Iterator[list[tuple[int, Response]]]:
        """Answer every request, yielding ``(index, response)`` pairs one batch at a time.

        The prompts are rendered and tokenised once, sorted by token length and packed into
        batches of at most ``max_batch_tokens`` padded tokens, so the caller can write
        results as each batch finishes while the device never waits on a fixed batch size.
        """
        if not requests:
            return
        if mode == "logprob":
            yield from self._logprob_stream(requests)
        else:
            yield from self._generate_stream(requests)

    def _token_budget(self, torch: Any, model: Any) -> int:
        if self.opts.max_batch_tokens:
            return self.opts.max_batch_tokens
        device = getattr(model, "device", None)
        if device is not None and getattr(device, "type", "cpu") == "cuda":
            free, _ = torch.cuda.mem_get_info(device)
            cfg = model.config.get_text_config() if hasattr(model.config, "get_text_config") else model.config
            hidden = int(getattr(cfg, "hidden_size", 4096))
            inter = int(getattr(cfg, "intermediate_size", 4 * hidden))
            layers = int(getattr(cfg, "num_hidden_layers", 32))
            heads = int(getattr(cfg, "num_attention_heads", 32))
            kv = int(getattr(cfg, "num_key_value_heads", heads))
            width = 2 if model.dtype in (torch.bfloat16, torch.float16) else 4
            # Per token: the key/value cache of every layer plus one layer's activations.
            per_token = width * (2 * layers * kv * (hidden // heads) + 4 * hidden + 2 * inter)
            return int(max(4096, min(262144, free * 0.6 // per_token)))
        # CPU: benchmarks/cpu_batch_budget.py on 2 cores (58M Llama, 402 items, 2 rounds):
        # 4096 padded tokens per pass took 0.64x the time of 2048, 8192 0.63x, 512 0.93x;
        # 4096 keeps most of the gain with half the activation memory of 8192.
        return 4096

    def _tokenise(self, prompts: list[str]) -> list[list[int]]:
        _, tok = self._load()
        add_special = not self._uses_chat_template(tok)  # chat templates already carry BOS
        kwargs: dict[str, Any] = {}
        if self.opts.max_input_tokens:
            kwargs = {"truncation": True, "max_length": self.opts.max_input_tokens}
        ids: list[list[int]] = tok(prompts, add_special_tokens=add_special, **kwargs)["input_ids"]
        return ids

    def _left_pad(self, torch: Any, rows: list[list[int]], device: Any) -> tuple[Any, Any]:
        _, tok = self._load()
        width = max(len(r) for r in rows)
        ids = torch.full((len(rows), width), tok.pad_token_id, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for i, r in enumerate(rows):
            if r:
                ids[i, width - len(r):] = torch.tensor(r, dtype=torch.long)
                mask[i, width - len(r):] = 1
        return ids.to(device, non_blocking=True), mask.to(device, non_blocking=True)

    def _prefix_cache(self, torch: Any, model: Any, ids: list[list[int]]) -> tuple[int, Any]:
        """The common token prefix of all prompts and its key/value cache (or 0, None)."""
        if not self.opts.prefix_cache:
            return 0, None
        n = common_prefix_len(ids)
        if n < MIN_PREFIX_TOKENS:
            return 0, None
        prefix = torch.tensor([ids[0][:n]], dtype=torch.long, device=model.device)
        try:
            with torch.inference_mode():
                out = model(input_ids=prefix, use_cache=True)
        except (TypeError, ValueError):
            return 0, None  # a model without a key/value cache API: no reuse
        past = getattr(out, "cache", None) or getattr(out, "past_key_values", None)
        if past is None or not hasattr(past, "batch_repeat_interleave"):
            return 0, None
        return n, past

    @staticmethod
    def _cache_arg(model: Any) -> str:
        """transformers 5 names the key/value cache argument ``cache``; earlier releases
        ``past_key_values``."""
        import inspect

        base = model.get_base_model() if hasattr(model, "get_base_model") else model
        return "cache" if "cache" in inspect.signature(base.forward).parameters else "past_key_values"

    def _forward_last(self, torch: Any, model: Any, ids: Any, mask: Any, positions: Any, past: Any) -> Any:
        kwargs: dict[str, Any] = {"input_ids": ids, "attention_mask": mask, "position_ids": positions}
        if past is not None:
            kwargs[self._cache_arg(model)] = past
            kwargs["use_cache"] = True
        else:
            kwargs["use_cache"] = False
        try:
            logits = model(**kwargs, logits_to_keep=1).logits
        except TypeError:  # a model whose forward lacks logits_to_keep
            logits = model(**kwargs).logits
        return logits[:, -1, :]

    def _logprob_stream(self, requests: Sequence[ChatRequest]) -> Iterator[list[tuple[int, Response]]]:
        torch, _ = _import_torch_transformers()
        model, _ = self._load()
        prompts = [self.render(r) for r in requests]
        letter_ids: list[list[int]] = []
        letters_of: list[list[str]] = []
        for req, prompt in zip(requests, prompts, strict=True):
            letters = req.letters or (req.mcq.letters if req.mcq else None)
            if not letters:
                raise ConfigError("logprob mode needs the option letters in the request")
            letters_of.append(list(letters))
            letter_ids.append(self.letter_token_ids(prompt, letters))
        ids = self._tokenise(prompts)
        budget = self._token_budget(torch, model)
        n_prefix, past = self._prefix_cache(torch, model, ids)
        suffixes = [r[n_prefix:] for r in ids]
        batches = plan_batches([len(s) for s in suffixes], budget, max_rows=self.opts.batch_size)
        width = max(len(x) for x in letter_ids)

        def launch(batch: Any) -> tuple[Any, Any, float]:
            """Host work and kernel launches for one batch; nothing here waits for the device."""
            t0 = time.perf_counter()
            rows = [suffixes[i] for i in batch.rows]
            enc_ids, mask = self._left_pad(torch, rows, model.device)
            b = len(rows)
            # Left padding: positions count from each row's first real token, as they would
            # without padding (generate() does this itself; a plain forward does not).
            positions = (mask.cumsum(-1) - 1).clamp(min=0) + n_prefix
            cache = None
            if past is not None:
                cache = copy.deepcopy(past)
                cache.batch_repeat_interleave(b)
                mask = torch.cat([torch.ones((b, n_prefix), dtype=mask.dtype, device=mask.device), mask], dim=1)
            gather = torch.tensor([x + x[:1] * (width - len(x)) for x in (letter_ids[i] for i in batch.rows)],
                                  dtype=torch.long, device=model.device)
            with torch.inference_mode():
                last = self._forward_last(torch, model, enc_ids, mask, positions, cache)
                logp = torch.log_softmax(last.float(), dim=-1).gather(1, gather)
            return batch, logp, t0

        def finish(batch: Any, logp: Any, t0: float) -> list[tuple[int, Response]]:
            scores_all = logp.cpu().tolist()  # one device-to-host transfer (and wait) per batch
            elapsed = (time.perf_counter() - t0) / len(batch.rows)
            chunk: list[tuple[int, Response]] = []
            for row, i in enumerate(batch.rows):
                letters = letters_of[i]
                scores = {L: float(scores_all[row][k]) for k, L in enumerate(letters)}
                chunk.append((i, Response(
                    text=max(scores, key=lambda k: scores[k]),
                    letter_logprobs=scores,
                    prompt_tokens=len(ids[i]),
                    completion_tokens=0,
                    latency_s=elapsed,
                    finish_reason="logprob",
                )))
            return chunk

        # On a GPU the kernels run asynchronously: batch n+1 is prepared and queued before
        # the host waits for batch n's result, so the device never idles on host work.
        asynchronous = getattr(model.device, "type", "cpu") == "cuda"
        inflight = None
        for batch in batches:
            launched = launch(batch)
            if not asynchronous:  # the CPU computed it already: write it now
                yield finish(*launched)
                continue
            if inflight is not None:
                yield finish(*inflight)
            inflight = launched
        if inflight is not None:
            yield finish(*inflight)

    def _generate_stream(self, requests: Sequence[ChatRequest]) -> Iterator[list[tuple[int, Response]]]:
        torch, _ = _import_torch_transformers()
        model, tok = self._load()
        # Requests in one call share decoding settings in practice; group to be safe.
        groups: dict[str, list[int]] = {}
        for i, r in enumerate(requests):
            key = stable_hash([r.max_tokens, r.temperature, r.top_p, r.seed, r.stop, r.stop_at_letter, r.letters])
            groups.setdefault(key, []).append(i)
        budget = self._token_budget(torch, model)
        for idxs in groups.values():
            first = requests[idxs[0]]
            ids = self._tokenise([self.render(requests[i]) for i in idxs])
            gen_kwargs: dict[str, Any] = {
                "max_new_tokens": first.max_tokens,
                "pad_token_id": tok.pad_token_id,
                "do_sample": first.temperature > 0,
            }
            if first.stop:
                # Stop inside generate(): a batch ends when every row has hit a stop string
                # or EOS, not after max_tokens.
                gen_kwargs["stop_strings"] = list(first.stop)
                gen_kwargs["tokenizer"] = tok
            if first.temperature > 0:
                gen_kwargs["temperature"] = first.temperature
                if first.top_p is not None:
                    gen_kwargs["top_p"] = first.top_p
                if first.seed is not None:
                    torch.manual_seed(first.seed)
            batches = plan_batches([len(x) for x in ids], budget, max_rows=self.opts.batch_size,
                                   extra_per_row=first.max_tokens)
            for batch in batches:
                enc_ids, mask = self._left_pad(torch, [ids[k] for k in batch.rows], model.device)
                kwargs = dict(gen_kwargs)
                if first.stop_at_letter and first.letters:
                    from transformers import StoppingCriteriaList

                    from akb.models.letter_stop import stopping_criteria

                    # each row ends once it opens with a letter and a delimiter; the batch when all have
                    kwargs["stopping_criteria"] = StoppingCriteriaList([stopping_criteria(tok, enc_ids.shape[1], first.letters)])
                t0 = time.perf_counter()
                with torch.inference_mode():
                    seqs = model.generate(input_ids=enc_ids, attention_mask=mask, **kwargs)
                elapsed = (time.perf_counter() - t0) / len(batch.rows)
                new = seqs[:, enc_ids.shape[1]:].cpu().tolist()
                chunk: list[tuple[int, Response]] = []
                for row, k in enumerate(batch.rows):
                    i = idxs[k]
                    out_ids = new[row]
                    n_gen = len(out_ids)
                    finish = "length"
                    if tok.eos_token_id is not None and tok.eos_token_id in out_ids:
                        n_gen = out_ids.index(tok.eos_token_id) + 1
                        finish = "stop"
                    while n_gen and out_ids[n_gen - 1] == tok.pad_token_id and finish == "length":
                        n_gen -= 1  # rows that stopped early are padded to the batch's length
                    text = tok.decode(out_ids[:n_gen], skip_special_tokens=True)
                    for s in requests[i].stop or []:
                        if s in text:
                            text, finish = text[: text.index(s)], "stop"
                    if requests[i].stop_at_letter and requests[i].letters:
                        from akb.models.letter_stop import leading_letter_end

                        end = leading_letter_end(text, requests[i].letters)
                        if end is not None:  # stopped there (and cut: a decoded token may run past it)
                            text, finish = text[:end], "stop"
                    chunk.append((i, Response(
                        text=text.strip(),
                        prompt_tokens=len(ids[k]),
                        completion_tokens=n_gen,
                        latency_s=elapsed,
                        finish_reason=finish,
                    )))
                yield chunk

    def close(self) -> None:
        self._model = None
