"""In-process vLLM engine, for throughput on one or more GPUs (tensor parallel).

For a shared server, start ``vllm serve MODEL`` and use the openai backend with
``--base-url`` instead. Logprob mode restricts the first generated token to the option
letters (``allowed_token_ids``) and reads their log-probabilities, one decode step per item;
the values are normalised over the letters, the argmax is the model's choice.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from akb.core.errors import BackendError, ConfigError, MissingDependencyError
from akb.models.base import BaseBackend, ChatRequest, Response
from akb.models.spec import ModelConfig, options_model


class VLLMOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    dtype: Literal["auto", "bfloat16", "float16", "float32"] = "auto"
    tensor_parallel_size: int = 1
    gpu_memory_utilization: float = 0.9
    max_model_len: int | None = None
    revision: str | None = None
    trust_remote_code: bool = False
    batch_size: int = 256
    chat_template_kwargs: dict[str, Any] = {}


def _import_vllm() -> Any:
    try:
        import vllm
    except ImportError:
        raise MissingDependencyError("vllm", "vllm", "the vllm backend (in-process engine)") from None
    return vllm


class VLLMBackend(BaseBackend):
    name: ClassVar[str] = "vllm"
    supports_logprobs: ClassVar[bool] = True

    def __init__(self, model: str, options: VLLMOptions | None = None) -> None:
        if not model:
            raise ConfigError("the vllm backend needs a model: vllm:NAME_OR_PATH")
        self.vllm = _import_vllm()
        self.model_name = model
        self.opts = options or VLLMOptions()
        self._batch_size = self.opts.batch_size
        self._llm: Any = None

    @classmethod
    def from_config(cls, cfg: ModelConfig) -> VLLMBackend:
        return cls(cfg.model, options_model(VLLMOptions, cfg))

    def identity(self) -> dict[str, Any]:
        from akb.models.hf import weights_revision

        # Same weights resolution as the hf backend (local fingerprint or hub commit); weights
        # not on disk yet are fetched by the engine first, so a resumed run agrees.
        rev = weights_revision(self.model_name, self.opts.revision)
        if rev is None:
            self._engine()
            rev = weights_revision(self.model_name, self.opts.revision)
        if rev is None:
            raise BackendError(f"cannot tell which revision of '{self.model_name}' this is; pin one with -o revision=COMMIT")
        return {"backend": "vllm", "model": self.model_name, "revision": rev, "dtype": self.opts.dtype,
                "chat_template_kwargs": self.opts.chat_template_kwargs}

    def _engine(self) -> Any:
        if self._llm is None:
            self._llm = self.vllm.LLM(
                model=self.model_name,
                dtype=self.opts.dtype,
                tensor_parallel_size=self.opts.tensor_parallel_size,
                gpu_memory_utilization=self.opts.gpu_memory_utilization,
                max_model_len=self.opts.max_model_len,
                revision=self.opts.revision,
                trust_remote_code=self.opts.trust_remote_code,
            )
        return self._llm

    def _chat(self, requests: Sequence[ChatRequest], params: Any) -> list[Any]:
        msgs = [[m.model_dump() for m in r.messages] for r in requests]
        return list(self._engine().chat(msgs, params, use_tqdm=False, chat_template_kwargs=self.opts.chat_template_kwargs or None))

    @staticmethod
    def _groups(requests: Sequence[ChatRequest], key: Any) -> dict[Any, list[int]]:
        """Request indices grouped by ``key``: each group is one engine call with its own settings
        (a batch may mix decoding settings, or 2 to 8 options)."""
        groups: dict[Any, list[int]] = {}
        for i, r in enumerate(requests):
            groups.setdefault(key(r), []).append(i)
        return groups

    def generate(self, requests: Sequence[ChatRequest]) -> list[Response]:
        out: list[Response | None] = [None] * len(requests)
        decoding = self._groups(requests, lambda r: (r.max_tokens, r.temperature, r.top_p, r.seed, tuple(r.stop or ())))
        for (max_tokens, temperature, top_p, seed, stop), idx in decoding.items():
            params = self.vllm.SamplingParams(max_tokens=max_tokens, temperature=temperature, top_p=top_p or 1.0,
                                              seed=seed, stop=list(stop) or None)
            for i, o in zip(idx, self._chat([requests[i] for i in idx], params), strict=True):
                out[i] = Response(text=o.outputs[0].text.strip(), prompt_tokens=len(o.prompt_token_ids),
                                  completion_tokens=len(o.outputs[0].token_ids), finish_reason=o.outputs[0].finish_reason)
        return [r for r in out if r is not None]

    def letter_logprobs(self, requests: Sequence[ChatRequest]) -> list[Response]:
        tok = self._engine().get_tokenizer()
        out: list[Response | None] = [None] * len(requests)
        for letters, idx in self._groups(requests, lambda r: tuple(r.letters or (r.mcq.letters if r.mcq else ()))).items():
            if not letters:
                raise ConfigError("logprob mode needs the option letters in the request")
            ids = [tok.encode(L, add_special_tokens=False)[0] for L in letters]
            params = self.vllm.SamplingParams(max_tokens=1, temperature=0.0, logprobs=len(ids), allowed_token_ids=ids)
            for i, o in zip(idx, self._chat([requests[i] for i in idx], params), strict=True):
                lp = o.outputs[0].logprobs[0]
                scores = {L: float(lp[t].logprob) if t in lp else float("-inf") for L, t in zip(letters, ids, strict=True)}
                best = max(scores, key=lambda k: scores[k])
                out[i] = Response(text=best, letter_logprobs=scores, prompt_tokens=len(o.prompt_token_ids),
                                  finish_reason="logprob")
        return [r for r in out if r is not None]
