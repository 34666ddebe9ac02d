"""The DeSTA audio LLM: frozen Whisper encoder -> Q-Former connector -> frozen causal LM.

Encoder taps. ``transformers`` returns, with ``output_hidden_states``, the embeddings
followed by each layer's output, except that its LAST entry has the encoder's final
LayerNorm applied. DeSTA taps the last layer *before* that LayerNorm, so the taps are read
with forward hooks on the layers themselves; layers after the last tap are dropped.

Connector. For each tap a bank of learned queries goes through ONE shared BERT-style
Q-Former (post-LN layers: self-attention over the queries, cross-attention to the frames,
GELU feed-forward; hidden = encoder width). The taps run as one batch through it. A
per-query softmax over the taps fuses the results, then LayerNorm + Linear map them to
the LLM width. The Q-Former is ``torch.nn.TransformerDecoder`` with ``norm_first=False``
and no mask: exactly a post-LN BERT layer with cross-attention and the same parameter
count. (``transformers``' BertLayer only allows cross-attention in decoder mode, which in
recent versions makes the query self-attention causal.)

Only the connector (and LoRA adapters, when enabled) is trained and saved.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from akb.core.errors import BackendError, DataError, MissingDependencyError
from akb.lalm.config import DestaConfig
from akb.lalm.processor import IGNORE, DestaProcessor

CONFIG_FILE = "desta_config.json"
WEIGHTS_FILE = "model.safetensors"
FORMAT = "akb-desta-connector"
FORMAT_VERSION = 1


class QFormerConnector(nn.Module):
    def __init__(self, encoder_width: int, llm_width: int, n_taps: int, queries: int, layers: int,
                 heads: int, ffn: int, dropout: float = 0.1, ln_eps: float = 1e-12) -> None:
        super().__init__()
        self.n_taps, self.n_queries = n_taps, queries
        # One bank of queries per tap, N(0, 1) as in DeSTA; the tap weights start uniform.
        self.queries = nn.Parameter(torch.randn(n_taps, queries, encoder_width))
        self.tap_logits = nn.Parameter(torch.zeros(queries, n_taps))
        layer = nn.TransformerDecoderLayer(
            d_model=encoder_width, nhead=heads, dim_feedforward=ffn, dropout=dropout, activation="gelu",
            layer_norm_eps=ln_eps, batch_first=True, norm_first=False,
        )
        self.qformer = nn.TransformerDecoder(layer, num_layers=layers)
        self.proj = nn.Sequential(nn.LayerNorm(encoder_width), nn.Linear(encoder_width, llm_width))

    def forward(self, taps: list[torch.Tensor]) -> torch.Tensor:
        """``taps``: one (batch, frames, width) tensor per tap -> (batch, queries, llm width)."""
        n, b = len(taps), taps[0].shape[0]
        q, d = self.n_queries, self.queries.shape[-1]
        memory = torch.cat(taps, dim=0)  # (taps*batch, frames, width): all taps in one pass
        queries = self.queries[:, None].expand(n, b, q, d).reshape(n * b, q, d)
        out = self.qformer(queries, memory).view(n, b, q, d).permute(1, 2, 0, 3)  # (b, q, taps, d)
        weights = torch.softmax(self.tap_logits, dim=-1).to(out.dtype)  # (q, taps)
        fused = (out * weights[None, :, :, None]).sum(dim=2)
        return self.proj(fused)


def _dtype(name: str, device: torch.device) -> torch.dtype:
    if name == "auto":
        return torch.bfloat16 if device.type == "cuda" else torch.float32
    return getattr(torch, name)


def _peft() -> Any:
    try:
        import peft
    except ImportError:
        raise MissingDependencyError("peft", "hf", "LoRA adapters") from None
    return peft


def set_activation_checkpointing(llm: Any, on: bool) -> None:
    """Recompute the (frozen) LLM's activations in backward; transformers 5 renamed the API."""
    kwargs = {"use_reentrant": False}
    if hasattr(llm, "activation_checkpointing_enable"):
        if on:
            llm.activation_checkpointing_enable(kwargs)
        else:
            llm.activation_checkpointing_disable()
    elif on:
        llm.gradient_checkpointing_enable(gradient_checkpointing_kwargs=kwargs)
    else:
        llm.gradient_checkpointing_disable()


def load_backbone(config: DestaConfig, device: torch.device) -> tuple[Any, Any]:
    """(causal LM, tokenizer) from ``config.llm``."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    kwargs: dict[str, Any] = {"dtype": _dtype(config.llm_dtype, device), "trust_remote_code": config.trust_remote_code}
    if config.attn_implementation:
        kwargs["attn_implementation"] = config.attn_implementation
    try:
        tok = AutoTokenizer.from_pretrained(config.llm, trust_remote_code=config.trust_remote_code)
        llm = AutoModelForCausalLM.from_pretrained(config.llm, **kwargs)
    except OSError as e:
        raise BackendError(f"cannot load the LLM {config.llm!r}: {str(e).splitlines()[0]}") from None
    return llm.to(device), tok  # type: ignore[arg-type]  # transformers' stub of .to


def load_whisper_encoder(config: DestaConfig, device: torch.device) -> tuple[Any, Any]:
    """(Whisper encoder, feature extractor) from ``config.encoder``; the decoder is dropped."""
    from transformers import WhisperFeatureExtractor, WhisperModel

    try:
        fe = WhisperFeatureExtractor.from_pretrained(config.encoder)
        whisper = WhisperModel.from_pretrained(config.encoder, dtype=_dtype(config.encoder_dtype, device))
    except OSError as e:
        raise BackendError(f"cannot load the Whisper encoder {config.encoder!r}: {str(e).splitlines()[0]}") from None
    encoder = whisper.get_encoder()
    del whisper
    return encoder.to(device), fe


class DestaModel(nn.Module):
    def __init__(self, config: DestaConfig, encoder: Any, llm: Any, tokenizer: Any, feature_extractor: Any) -> None:
        super().__init__()
        self.config = config
        self.taps = config.resolve_taps(len(encoder.layers))
        encoder.layers = encoder.layers[: self.taps[-1] + 1]  # later layers would never be read
        self.encoder = encoder.requires_grad_(False).eval()
        llm.requires_grad_(False)
        if config.lora is not None:
            peft = _peft()
            lcfg = peft.LoraConfig(r=config.lora.r, lora_alpha=config.lora.alpha, lora_dropout=config.lora.dropout,
                                   target_modules=list(config.lora.target_modules), task_type="CAUSAL_LM")
            llm = peft.get_peft_model(llm, lcfg)
        self.llm = llm
        if config.gradient_checkpointing:
            set_activation_checkpointing(self.llm, True)
        self.encoder_width = int(encoder.config.d_model)
        self.llm_width = int(self.llm.get_input_embeddings().weight.shape[-1])
        self.connector = QFormerConnector(
            self.encoder_width, self.llm_width, len(self.taps), config.queries, config.qformer_layers,
            config.qformer_heads, config.qformer_ffn, config.dropout,
        ).to(next(encoder.parameters()).device)
        self.processor = DestaProcessor(tokenizer, feature_extractor, config)
        self._captured: dict[int, torch.Tensor] = {}
        for i in self.taps:
            self.encoder.layers[i].register_forward_hook(self._capture(i))
        base = self.llm.get_base_model() if config.lora is not None else self.llm
        self._logits_to_keep = "logits_to_keep" in inspect.signature(base.forward).parameters

    # ------------------------------------------------------------------ construction
    @classmethod
    def build(cls, config: DestaConfig, *, device: str | torch.device | None = None, llm: Any = None,
              tokenizer: Any = None, encoder: Any = None, feature_extractor: Any = None) -> DestaModel:
        """Load the backbone and encoder named in ``config`` (unless given) and add a fresh connector."""
        dev = torch.device(device) if device is not None else torch.device("cuda" if torch.cuda.is_available() else "cpu")
        if llm is None or tokenizer is None:
            llm, tokenizer = load_backbone(config, dev)
        if encoder is None or feature_extractor is None:
            encoder, feature_extractor = load_whisper_encoder(config, dev)
        return cls(config, encoder, llm, tokenizer, feature_extractor)

    @classmethod
    def from_pretrained(cls, path: str | Path, *, device: str | torch.device | None = None,
                        llm: str | None = None, encoder: str | None = None, **components: Any) -> DestaModel:
        """Rebuild a saved model: its config names the backbone and encoder (``llm`` /
        ``encoder`` override where they now live); the saved connector (+ LoRA) weights are
        loaded strictly."""
        folder = Path(path)
        config = read_saved_config(folder)
        updates = {k: v for k, v in (("llm", llm), ("encoder", encoder)) if v}
        if updates:
            config = config.model_copy(update=updates)
        model = cls.build(config, device=device, **components)
        model.load_trainable(folder)
        return model

    def _capture(self, index: int) -> Any:
        def hook(_module: nn.Module, _args: Any, output: Any) -> None:
            self._captured[index] = output[0] if isinstance(output, tuple) else output

        return hook

    def train(self, mode: bool = True) -> DestaModel:
        super().train(mode)
        self.encoder.eval()  # frozen: no dropout, ever
        if self.config.lora is None:
            self.llm.eval()
        return self

    @property
    def device(self) -> torch.device:
        return self.connector.queries.device

    # ------------------------------------------------------------------ forward
    def audio_vectors(self, input_features: torch.Tensor) -> torch.Tensor:
        """(batch, mels, frames) log-mel features -> (batch, queries, llm width)."""
        enc_param = next(self.encoder.parameters())
        self._captured.clear()
        with torch.no_grad():
            self.encoder(input_features.to(device=enc_param.device, dtype=enc_param.dtype))
        taps = [self._captured.pop(i).to(self.connector.queries.dtype) for i in self.taps]
        return self.connector(taps)

    def input_embeddings(self, input_features: torch.Tensor, input_ids: torch.Tensor,
                         audio_mask: torch.Tensor) -> torch.Tensor:
        embeds = self.llm.get_input_embeddings()(input_ids)
        audio = self.audio_vectors(input_features)
        if int(audio_mask.sum()) != audio.shape[0] * audio.shape[1]:
            raise ValueError(f"audio slots ({int(audio_mask.sum())}) do not match the audio vectors "
                             f"({audio.shape[0]} x {audio.shape[1]})")
        return embeds.masked_scatter(audio_mask.unsqueeze(-1), audio.to(embeds.dtype))

    def forward(self, input_features: torch.Tensor, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                audio_mask: torch.Tensor, labels: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """Returns ``loss`` (mean over response + EOS tokens) and ``tokens`` when ``labels`` are
        given, else ``logits`` for every position."""
        embeds = self.input_embeddings(input_features, input_ids, audio_mask)
        positions = (attention_mask.long().cumsum(-1) - 1).clamp(min=0)
        kwargs: dict[str, Any] = {}
        length = input_ids.shape[1]
        if labels is not None and self._logits_to_keep:
            # Left padding puts every response at the end: only those logits are needed.
            first = int((labels != IGNORE).float().argmax(dim=-1).min())
            kwargs["logits_to_keep"] = length - max(first - 1, 0)
        out = self.llm(inputs_embeds=embeds, attention_mask=attention_mask, position_ids=positions,
                       use_cache=False, **kwargs)
        logits = out.logits
        if labels is None:
            return {"logits": logits}
        kept = logits.shape[1]
        targets = labels[:, length - kept + 1:]
        loss = F.cross_entropy(logits[:, :-1].float().reshape(-1, logits.shape[-1]), targets.reshape(-1),
                               ignore_index=IGNORE)
        return {"loss": loss, "tokens": (targets != IGNORE).sum()}

    @torch.no_grad()
    def generate(self, batch: dict[str, torch.Tensor], *, max_new_tokens: int = 512) -> list[str]:
        """Greedy answers for a collated batch (no labels)."""
        batch = {k: v.to(self.device) for k, v in batch.items() if k != "labels"}
        embeds = self.input_embeddings(batch["input_features"], batch["input_ids"], batch["audio_mask"])
        gen_cfg = getattr(self.llm, "generation_config", None)
        out = self.llm.generate(
            inputs_embeds=embeds, attention_mask=batch["attention_mask"], max_new_tokens=max_new_tokens,
            do_sample=False, temperature=None, top_p=None, top_k=None,
            eos_token_id=self.processor.eos_ids(gen_cfg), pad_token_id=self.processor.pad_id,
        )
        tok = self.processor.tokenizer
        return [tok.decode(row, skip_special_tokens=True).strip() for row in out.tolist()]

    # ------------------------------------------------------------------ saving
    def trainable_state_dict(self) -> dict[str, torch.Tensor]:
        state = {f"connector.{k}": v for k, v in self.connector.state_dict().items()}
        if self.config.lora is not None:
            lora = _peft().get_peft_model_state_dict(self.llm)
            state.update({f"lora.{k}": v for k, v in lora.items()})
        return state

    def describe(self) -> dict[str, Any]:
        return {"encoder_width": self.encoder_width, "llm_width": self.llm_width, "taps": self.taps,
                "trainable": sum(p.numel() for p in self.parameters() if p.requires_grad),
                "frozen": sum(p.numel() for p in self.parameters() if not p.requires_grad)}

    def save_pretrained(self, path: str | Path) -> Path:
        """Write ``desta_config.json`` and ``model.safetensors`` (connector and LoRA only)."""
        from safetensors.torch import save_file

        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        state = {k: v.detach().to("cpu").contiguous().clone() for k, v in self.trainable_state_dict().items()}
        tmp = folder / f".{WEIGHTS_FILE}.tmp"
        save_file(state, str(tmp), metadata={"format": FORMAT})
        tmp.replace(folder / WEIGHTS_FILE)
        record = {"format": FORMAT, "version": FORMAT_VERSION, "config": self.config.model_dump(mode="json"),
                  "shapes": self.describe()}
        (folder / CONFIG_FILE).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        return folder

    def load_trainable(self, path: str | Path) -> None:
        """Load saved connector (+ LoRA) weights; any missing, unexpected or mis-shaped key is
        an error that names the file and the keys."""
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        file = Path(path) / WEIGHTS_FILE if Path(path).is_dir() else Path(path)
        if not file.exists():
            raise DataError("no saved connector weights here", file=file)
        try:
            state = load_file(str(file))
        except (SafetensorError, OSError) as e:
            raise DataError(f"not a readable safetensors file ({e})", file=file) from None
        expected = self.trainable_state_dict()
        missing = sorted(set(expected) - set(state))
        unexpected = sorted(set(state) - set(expected))
        wrong = sorted(k for k in set(state) & set(expected) if tuple(state[k].shape) != tuple(expected[k].shape))
        if missing or unexpected or wrong:
            def some(keys: list[str]) -> str:
                return ", ".join(keys[:3]) + (f" and {len(keys) - 3} more" if len(keys) > 3 else "")

            problems = []
            if missing:
                problems.append(f"{len(missing)} missing key(s): {some(missing)}")
            if unexpected:
                problems.append(f"{len(unexpected)} unexpected key(s): {some(unexpected)}")
            if wrong:
                k = wrong[0]
                problems.append(f"{len(wrong)} key(s) with another shape, e.g. {k} "
                                f"{tuple(state[k].shape)} saved vs {tuple(expected[k].shape)} here")
            raise DataError("checkpoint does not match this model's connector: " + "; ".join(problems), file=file)
        conn = {k[len("connector."):]: v for k, v in state.items() if k.startswith("connector.")}
        self.connector.load_state_dict(conn, strict=True)
        if self.config.lora is not None:
            lora = {k[len("lora."):]: v for k, v in state.items() if k.startswith("lora.")}
            _peft().set_peft_model_state_dict(self.llm, lora)


def read_saved_config(folder: Path) -> DestaConfig:
    file = folder / CONFIG_FILE
    if not file.exists():
        raise DataError(f"not a saved DeSTA model (no {CONFIG_FILE})", file=folder)
    try:
        record = json.loads(file.read_text(encoding="utf-8"))
    except ValueError as e:
        raise DataError(f"not valid JSON ({e})", file=file) from None
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise DataError(f"not an {FORMAT} config", file=file, field="format")
    from pydantic import ValidationError

    try:
        return DestaConfig.model_validate(record.get("config"))
    except ValidationError as e:
        err = e.errors()[0]
        raise DataError(err["msg"], file=file, field="config." + ".".join(map(str, err["loc"]))) from None
