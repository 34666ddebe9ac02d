"""Versioned prompts for multiple-choice probing.

The prompt is part of every cache key and every results file, so a change of wording is a
change of ``version``. Users override any field from a run config (``prompt:`` in YAML).
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, field_validator

from akb.bench.items import LETTERS

PROMPT_VERSION = "akb-mcq-v1"

DEFAULT_SYSTEM = (
    "You are answering a multiple-choice exam on auditory knowledge: sound, music, speech, "
    "phonetics, audio quality and audio technology."
)
DEFAULT_TEMPLATE = "Question: {question}\n{options}\n"
DEFAULT_INSTRUCTION = "Answer with the letter of the correct option (A, B, C or D) only."
COT_INSTRUCTION = (
    "Think step by step, then give your final answer on the last line in the form "
    "'Answer: X', where X is A, B, C or D."
)


class PromptConfig(BaseModel):
    """How an item becomes chat messages."""

    model_config = ConfigDict(extra="forbid")

    version: str = PROMPT_VERSION
    system: str | None = DEFAULT_SYSTEM
    template: str = DEFAULT_TEMPLATE
    instruction: str = DEFAULT_INSTRUCTION
    cot: bool = False
    cot_instruction: str = COT_INSTRUCTION
    # Text a base model (no chat template) sees after the prompt; logprob mode scores the
    # letter that follows it.
    answer_prefix: str = "Answer:"

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


def format_options(choices: Sequence[str], letters: Sequence[str] = LETTERS) -> str:
    return "\n".join(f"({letter}) {text}" for letter, text in zip(letters, choices, strict=True))


def build_messages(
    question: str,
    choices: Sequence[str],
    cfg: PromptConfig | None = None,
    letters: Sequence[str] = LETTERS,
) -> list[dict[str, str]]:
    """Chat messages for one question. Letters follow the number of choices."""
    cfg = cfg or PromptConfig()
    letters = tuple(letters)[: len(choices)]
    body = cfg.template.format(question=question, options=format_options(choices, letters))
    instruction = cfg.cot_instruction if cfg.cot else cfg.instruction
    if len(letters) != 4:
        listed = ", ".join(letters[:-1]) + f" or {letters[-1]}"
        instruction = instruction.replace("A, B, C or D", listed)
    messages: list[dict[str, str]] = []
    if cfg.system:
        messages.append({"role": "system", "content": cfg.system})
    messages.append({"role": "user", "content": body.rstrip("\n") + "\n\n" + instruction})
    return messages
