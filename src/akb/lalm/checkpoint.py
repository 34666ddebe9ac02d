"""Training state saved and loaded without pickle.

Every piece of state a resume needs is written as safetensors (tensors) or JSON (everything
else) and read back with ``safetensors.torch.load_file`` and ``json``; nothing in a
checkpoint folder is ever unpickled, so a crafted ``*.pkl`` / ``*.bin`` planted there cannot
run code (accelerate's ``load_state`` unpickles ``custom_checkpoint_*.pkl`` and the RNG file
with ``weights_only=False``; akb does not call it).

Per checkpoint:

* ``optimizer.safetensors`` + ``optimizer.json``: the optimizer's tensors (moments, step
  counts) and its structure (param groups, non-tensor state);
* ``scheduler.json``: the LR scheduler's ``state_dict`` (plain numbers);
* ``scaler.json``: the fp16 gradient scaler, when there is one;
* ``rng-{rank}.safetensors`` + ``rng-{rank}.json``: each rank's torch (CPU and CUDA), numpy
  and Python RNG states;
* ``state.json`` (written by the trainer): epoch, batches done, step, world size.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

from akb.core.errors import ResumeError

OPTIMIZER_TENSORS = "optimizer.safetensors"
OPTIMIZER_JSON = "optimizer.json"
SCHEDULER_JSON = "scheduler.json"
SCALER_JSON = "scaler.json"
FORMAT = "akb-train-state"
FORMAT_VERSION = 1


def _rng_files(rank: int) -> tuple[str, str]:
    return f"rng-{rank}.safetensors", f"rng-{rank}.json"


def _write_json(path: Path, obj: Any) -> None:
    path.write_text(json.dumps(obj, indent=1) + "\n", encoding="utf-8")


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ResumeError(f"{path.parent} lacks {path.name}: not a checkpoint this akb wrote (pickled "
                          "checkpoints of older versions are never loaded); start again with --overwrite") from None
    except (ValueError, UnicodeDecodeError) as e:
        raise ResumeError(f"{path}: not valid JSON ({e})") from None


def _load_tensors(path: Path) -> dict[str, torch.Tensor]:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    if not path.is_file():
        raise ResumeError(f"{path.parent} lacks {path.name}: not a checkpoint this akb wrote; "
                          "start again with --overwrite")
    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError) as e:
        raise ResumeError(f"{path}: not a readable safetensors file ({e})") from None


def _save_tensors(path: Path, tensors: dict[str, torch.Tensor]) -> None:
    from safetensors.torch import save_file

    save_file({k: v.detach().contiguous().cpu() for k, v in tensors.items()}, str(path),
              metadata={"format": FORMAT, "version": str(FORMAT_VERSION)})


# ---------------------------------------------------------------------- optimizer
def save_optimizer(folder: Path, optimizer: Any) -> None:
    sd = optimizer.state_dict()
    tensors: dict[str, torch.Tensor] = {}
    plain: dict[str, dict[str, Any]] = {}
    for pid, st in sd["state"].items():
        for name, v in st.items():
            if isinstance(v, torch.Tensor):
                tensors[f"{pid}.{name}"] = v
            else:
                plain.setdefault(str(pid), {})[name] = v
    _save_tensors(folder / OPTIMIZER_TENSORS, tensors)
    groups = [{k: (list(v) if isinstance(v, tuple) else v) for k, v in g.items()} for g in sd["param_groups"]]
    _write_json(folder / OPTIMIZER_JSON, {"format": FORMAT, "version": FORMAT_VERSION, "param_groups": groups,
                                          "plain_state": plain, "tensor_keys": sorted(tensors)})


def load_optimizer(folder: Path, optimizer: Any) -> None:
    meta = _read_json(folder / OPTIMIZER_JSON)
    tensors = _load_tensors(folder / OPTIMIZER_TENSORS)
    state: dict[int, dict[str, Any]] = {}
    for key, v in tensors.items():
        pid, _, name = key.partition(".")
        state.setdefault(int(pid), {})[name] = v
    for pid, st in meta.get("plain_state", {}).items():
        state.setdefault(int(pid), {}).update(st)
    groups = []
    for g in meta["param_groups"]:
        g = dict(g)
        if isinstance(g.get("betas"), list):
            g["betas"] = tuple(g["betas"])
        groups.append(g)
    try:
        optimizer.load_state_dict({"state": state, "param_groups": groups})
    except (ValueError, KeyError, RuntimeError) as e:
        raise ResumeError(f"{folder}: the optimizer state does not fit this model ({e})") from None


# ---------------------------------------------------------------------- scheduler, scaler
def save_scheduler(folder: Path, scheduler: Any) -> None:
    sd = {k: v for k, v in scheduler.state_dict().items() if k != "lr_lambdas"}
    _write_json(folder / SCHEDULER_JSON, sd)


def load_scheduler(folder: Path, scheduler: Any) -> None:
    sd = _read_json(folder / SCHEDULER_JSON)
    sd["lr_lambdas"] = [None] * len(getattr(scheduler, "lr_lambdas", []))
    scheduler.load_state_dict(sd)


def save_scaler(folder: Path, scaler: Any) -> None:
    if scaler is not None:
        _write_json(folder / SCALER_JSON, scaler.state_dict())


def load_scaler(folder: Path, scaler: Any) -> None:
    if scaler is not None and (folder / SCALER_JSON).exists():
        scaler.load_state_dict(_read_json(folder / SCALER_JSON))


# ---------------------------------------------------------------------- RNG
def save_rng(folder: Path, rank: int) -> None:
    tfile, jfile = _rng_files(rank)
    tensors = {"torch_cpu": torch.get_rng_state()}
    if torch.cuda.is_available():
        for i, s in enumerate(torch.cuda.get_rng_state_all()):
            tensors[f"torch_cuda_{i}"] = s
    _save_tensors(folder / tfile, tensors)
    py_version, py_state, py_gauss = random.getstate()
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    _write_json(folder / jfile, {
        "python": {"version": py_version, "state": list(py_state), "gauss_next": py_gauss},
        "numpy": {"kind": kind, "keys": [int(k) for k in keys], "pos": int(pos), "has_gauss": int(has_gauss),
                  "cached_gaussian": float(cached)},
    })


def load_rng(folder: Path, rank: int) -> None:
    tfile, jfile = _rng_files(rank)
    tensors = _load_tensors(folder / tfile)
    meta = _read_json(folder / jfile)
    torch.set_rng_state(tensors["torch_cpu"])
    cuda = [tensors[k] for k in sorted((k for k in tensors if k.startswith("torch_cuda_")), key=lambda k: int(k[11:]))]
    if cuda and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(cuda[: torch.cuda.device_count()])
    py = meta["python"]
    random.setstate((int(py["version"]), tuple(int(x) for x in py["state"]), py["gauss_next"]))
    n = meta["numpy"]
    np.random.set_state((str(n["kind"]), np.array(n["keys"], dtype=np.uint32), int(n["pos"]), int(n["has_gauss"]),
                         float(n["cached_gaussian"])))


# ---------------------------------------------------------------------- all of it
def save_training_state(folder: Path, *, rank: int, main: bool, optimizer: Any, scheduler: Any,
                        scaler: Any = None) -> None:
    """Every rank writes its RNG; the main process writes optimizer, scheduler and scaler."""
    folder.mkdir(parents=True, exist_ok=True)
    save_rng(folder, rank)
    if main:
        save_optimizer(folder, optimizer)
        save_scheduler(folder, scheduler)
        save_scaler(folder, scaler)


def load_training_state(folder: Path, *, rank: int, optimizer: Any, scheduler: Any, scaler: Any = None) -> None:
    load_optimizer(folder, optimizer)
    load_scheduler(folder, scheduler)
    load_scaler(folder, scaler)
    load_rng(folder, rank)
