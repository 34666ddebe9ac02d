"""The canonical AKB-2000 prompt: ONE definition for ``akb probe``, the exported
lm-evaluation-harness task and the exported inspect_ai task.

An item becomes two messages, laid out the way lm-evaluation-harness 0.4 lays out a
multiple-choice task, so that the three tools see the same bytes:

- a *system* message, the task description (it ends in a blank line, as lm-eval's
  descriptions do, because in plain mode lm-eval glues it straight onto the question);
- a *user* message: ``Question: ...``, the options as ``A. text`` lines, the instruction,
  and ``Answer:``. ``K`` few-shot examples from a fixed pool (:mod:`akb.bench.fewshot`)
  come first in the same user message, each followed by `` X`` (its letter) and a blank
  line, as lm-eval does without ``--fewshot_as_multiturn``.

Two renderings of those messages exist, and the three tools agree on both:

- **plain** (a base model, or lm-eval's default): ``system + user``, the letter scored as
  `` A`` (space first);
- **chat** (a model's chat template; lm-eval ``--apply_chat_template``): the template
  applied to [system, user] with the generation prompt, the letter scored as ``A`` right
  after it (lm-eval drops the target delimiter after a chat template).

The prompt is part of every cache key and every results file, so a change of wording is a
change of ``version``. Users override any field from a run config (``prompt:`` in YAML);
an overridden prompt is no longer the exported one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

from akb.bench.items import LETTERS

PROMPT_VERSION = "akb-mcq-v2"

DEFAULT_SYSTEM = (
    "The following are multiple choice questions (with answers) about auditory knowledge: sound, music, "
    "speech, phonetics, audio quality and audio technology.\n\n"
)
DEFAULT_TEMPLATE = "Question: {question}\n{options}\n{instruction}\nAnswer:"
OPTION_TEMPLATE = "{letter}. {text}"
DEFAULT_INSTRUCTION = "Answer with the letter of the correct option (A, B, C or D) only."
COT_INSTRUCTION = (
    "Think step by step, then give your final answer on the last line in the form "
    "'Answer: X', where X is A, B, C or D."
)
# lm-eval's defaults: between a question and its letter, and between few-shot examples.
TARGET_DELIMITER = " "
FEWSHOT_DELIMITER = "\n\n"


class PromptConfig(BaseModel):
    """How an item becomes chat messages."""

    model_config = ConfigDict(extra="forbid")

    version: str = PROMPT_VERSION
    system: str | None = DEFAULT_SYSTEM
    template: str = DEFAULT_TEMPLATE
    option_template: str = OPTION_TEMPLATE
    instruction: str = DEFAULT_INSTRUCTION
    cot: bool = False
    cot_instruction: str = COT_INSTRUCTION
    num_fewshot: int = 0

    @field_validator("template")
    @classmethod
    def _template_fields(cls, v: str) -> str:
        return check_template(v)


TEMPLATE_FIELDS = ("question", "options")


def check_template(template: str) -> str:
    """A prompt template names exactly the placeholders ``{question}`` and ``{options}``
    (literal braces doubled); anything else would fail, or silently drop the question."""
    import string

    try:
        names = {f for _, f, _, _ in string.Formatter().parse(template) if f is not None}
    except ValueError as e:
        raise ValueError(f"not a valid template ({e}); write literal braces as {{{{ and }}}}") from None
    unknown = sorted(n for n in names if n not in TEMPLATE_FIELDS)
    if unknown:
        raise ValueError(f"unknown placeholder {{{unknown[0]}}}; a template may use only {{question}} and {{options}}")
    missing = [n for n in TEMPLATE_FIELDS if n not in names]
    if missing:
        raise ValueError(f"the template lacks {{{missing[0]}}}: the model would not see the "
                         f"{'question' if missing[0] == 'question' else 'options'}")
    return template


def format_options(choices: Sequence[str], letters: Sequence[str] = LETTERS, template: str = "({letter}) {text}") -> str:
    """Options one per line; the cascade prompt keeps its ``(A) text`` form."""
    return "\n".join(template.format(letter=letter, text=text) for letter, text in zip(letters, choices, strict=True))


def _instruction(cfg: PromptConfig, letters: Sequence[str]) -> str:
    instruction = cfg.cot_instruction if cfg.cot else cfg.instruction
    if len(letters) != 4:
        listed = ", ".join(letters[:-1]) + f" or {letters[-1]}"
        instruction = instruction.replace("A, B, C or D", listed)
    return instruction


def render_user(question: str, choices: Sequence[str], shots: Sequence[tuple[str, Sequence[str], str]] = (), *,
                template: str = DEFAULT_TEMPLATE, option_template: str = OPTION_TEMPLATE,
                instruction: str = DEFAULT_INSTRUCTION, letters: Sequence[str] = "ABCD",
                target_delimiter: str = TARGET_DELIMITER, fewshot_delimiter: str = FEWSHOT_DELIMITER) -> str:
    """The user message: solved ``shots`` (question, choices, letter), then the question.

    Self-contained on purpose: the exported inspect_ai task embeds this very function's
    source, so akb and inspect render with one definition."""

    def one(q: str, cs: Sequence[str]) -> str:
        options = "\n".join(option_template.format(letter=L, text=t) for L, t in zip(letters, cs, strict=False))
        return template.format(question=q, options=options, instruction=instruction)

    return "".join(one(q, cs) + target_delimiter + a + fewshot_delimiter for q, cs, a in shots) + one(question, choices)


def render_question(question: str, choices: Sequence[str], cfg: PromptConfig | None = None,
                    letters: Sequence[str] = LETTERS) -> str:
    """One question as the user sees it (lm-eval's ``doc_to_text``), ending in ``Answer:``."""
    return build_messages(question, choices, (cfg or PromptConfig()).model_copy(update={"system": None}), letters)[0]["content"]


def build_messages(
    question: str,
    choices: Sequence[str],
    cfg: PromptConfig | None = None,
    letters: Sequence[str] = LETTERS,
    shots: Sequence[tuple[str, Sequence[str], str]] = (),
) -> list[dict[str, str]]:
    """Chat messages for one question. ``shots`` are solved examples (question, choices,
    answer letter), shown first in the user message. Letters follow the number of choices."""
    cfg = cfg or PromptConfig()
    letters = tuple(letters)[: len(choices)]
    user = render_user(question, choices, shots, template=cfg.template, option_template=cfg.option_template,
                       instruction=_instruction(cfg, letters), letters=letters)
    messages: list[dict[str, str]] = []
    if cfg.system:
        messages.append({"role": "system", "content": cfg.system})
    messages.append({"role": "user", "content": user})
    return messages


def render_plain(messages: Sequence[dict[str, str]]) -> str:
    """Plain-mode text of canonical messages: contents concatenated, as lm-eval renders a
    description and a question without a chat template (the hf backend's own rendering)."""
    from akb.models.hf import plain_text

    return plain_text(messages, "")


def prompt_hash(messages: Sequence[dict[str, str]]) -> str:
    """A short fingerprint of the exact messages, stored with every sample."""
    blob = json.dumps(list(messages), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


# ---------------------------------------------------------------- exports
def jinja_doc_to_text(cfg: PromptConfig | None = None, n_choices: int = 4) -> str:
    """The same user text as a Jinja template over an item's fields (lm-eval's
    ``doc_to_text``), derived from the same template strings as :func:`render_question`."""
    cfg = cfg or PromptConfig()
    letters = LETTERS[:n_choices]
    options = "\n".join(cfg.option_template.replace("{letter}", L).replace("{text}", f"{{{{choices[{k}]}}}}")
                        for k, L in enumerate(letters))
    for s in (cfg.template, options, _instruction(cfg, letters)):
        if "{%" in s or "{#" in s:
            raise ValueError("prompt text cannot contain Jinja block or comment markers")
    return (cfg.template.replace("{question}", "\x00Q\x00").replace("{options}", "\x00O\x00")
            .replace("{instruction}", _instruction(cfg, letters))
            .replace("\x00Q\x00", "{{question}}").replace("\x00O\x00", options))


def canonical_settings(cfg: PromptConfig | None = None) -> dict[str, Any]:
    """What the exports embed: everything the rendering depends on."""
    cfg = cfg or PromptConfig()
    return {"version": cfg.version, "system": cfg.system, "template": cfg.template,
            "option_template": cfg.option_template, "instruction": _instruction(cfg, LETTERS[:4]),
            "target_delimiter": TARGET_DELIMITER, "fewshot_delimiter": FEWSHOT_DELIMITER}
