"""In-process vLLM engine, for throughput on one or more GPUs (tensor parallel).

For a shared server, start ``vllm serve MODEL`` and use the openai backend with
``--base-url`` instead.

Logprob mode scores each option letter as a continuation of the prompt and reads its
log-probability from ``prompt_logprobs``: the full-vocabulary log-probability of the letter
token after the prompt, the same number the hf backend computes. (Restricting the first
generated token with ``allowed_token_ids`` does not work for this: vLLM takes its top-k
log-probabilities before that mask, so a letter outside the raw top k came back as -inf.)
The prompt's key/value cache is shared by its letter continuations through vLLM's automatic
prefix caching, so the four continuations cost about one extra token each.

Requests are streamed into the engine (``add_request``) and results are yielded as requests
finish, so a run writes answers while the engine stays full; every request keeps its own
decoding settings and option letters.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from akb.core.errors import BackendError, ConfigError, MissingDependencyError
from akb.models._batching import letter_ids_after
from akb.models.base import ChatRequest, Mode, Response, StreamingBackend
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
    enforce_eager: bool = False
    enable_prefix_caching: bool = True
    # Anything else vllm.LLM(...) accepts (max_num_seqs, quantization, ...).
    engine_kwargs: dict[str, Any] = {}


def _import_vllm() -> Any:
    try:
        import vllm
    except ImportError:
        raise MissingDependencyError("vllm", "vllm", "the vllm backend (in-process engine)") from None
    return vllm


class VLLMBackend(StreamingBackend):
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
                enforce_eager=self.opts.enforce_eager,
                enable_prefix_caching=self.opts.enable_prefix_caching,
                **self.opts.engine_kwargs,
            )
        return self._llm

    # ----------------------------------------------------------------- prompts
    def _prompt(self, request: ChatRequest) -> tuple[str, list[int]]:
        """The chat-templated prompt text and its token ids (the template carries BOS)."""
        tok = self._engine().get_tokenizer()
        msgs = [m.model_dump() for m in request.messages]
        text: str = tok.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True,
                                            **self.opts.chat_template_kwargs)
        return text, list(tok(text, add_special_tokens=False)["input_ids"])

    def _letter_ids(self, request: ChatRequest, prompt: str) -> tuple[list[str], list[int]]:
        letters = request.letters or (request.mcq.letters if request.mcq else None)
        if not letters:
            raise ConfigError("logprob mode needs the option letters in the request")
        return list(letters), letter_ids_after(self._engine().get_tokenizer(), prompt, letters)

    def _sampling(self, request: ChatRequest) -> Any:
        return self.vllm.SamplingParams(max_tokens=request.max_tokens, temperature=request.temperature,
                                        top_p=request.top_p or 1.0, seed=request.seed, stop=request.stop)

    # ----------------------------------------------------------------- answering
    def answer_stream(self, requests: Sequence[ChatRequest], mode: Mode) -> Iterator[list[tuple[int, Response]]]:
        """Stream every request into the engine; yield ``(index, response)`` as they finish."""
        if not requests:
            return
        engine = self._engine().llm_engine
        pending: dict[str, tuple[int, int]] = {}  # vLLM request id -> (request index, letter slot)
        parts: dict[int, dict[int, Any]] = {}
        letters_of: dict[int, tuple[list[str], list[int]]] = {}
        for i, req in enumerate(requests):
            text, prompt = self._prompt(req)
            if mode == "logprob":
                letters_of[i] = self._letter_ids(req, text)
                params = self.vllm.SamplingParams(max_tokens=1, temperature=0.0, prompt_logprobs=0)
                for k, tid in enumerate(letters_of[i][1]):
                    rid = f"{i}:{k}"
                    pending[rid] = (i, k)
                    engine.add_request(rid, {"prompt_token_ids": prompt + [tid]}, params)
            else:
                rid = f"{i}:g"
                pending[rid] = (i, -1)
                engine.add_request(rid, {"prompt_token_ids": prompt}, self._sampling(req))
        while pending:
            chunk: list[tuple[int, Response]] = []
            for out in engine.step():
                if not getattr(out, "finished", True) or out.request_id not in pending:
                    continue
                i, k = pending.pop(out.request_id)
                if k < 0:
                    o = out.outputs[0]
                    chunk.append((i, Response(text=o.text.strip(), prompt_tokens=len(out.prompt_token_ids),
                                              completion_tokens=len(o.token_ids), finish_reason=o.finish_reason)))
                    continue
                parts.setdefault(i, {})[k] = out
                letters, ids = letters_of[i]
                if len(parts[i]) == len(ids):
                    chunk.append((i, self._letter_response(letters, ids, parts.pop(i))))
            if chunk:
                yield chunk

    @staticmethod
    def _letter_response(letters: list[str], ids: list[int], outs: dict[int, Any]) -> Response:
        scores: dict[str, float] = {}
        for k, (L, tid) in enumerate(zip(letters, ids, strict=True)):
            last = outs[k].prompt_logprobs[-1]  # {token id: Logprob} at the letter's position
            scores[L] = float(last[tid].logprob)
        best = max(scores, key=lambda k: scores[k])
        n_prompt = len(outs[0].prompt_token_ids) - 1
        return Response(text=best, letter_logprobs=scores, prompt_tokens=n_prompt, finish_reason="logprob")
