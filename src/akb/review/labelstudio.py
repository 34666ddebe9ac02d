"""Label Studio as an alternative front end: export tasks, import annotations.

``export_tasks`` writes items in Label Studio's JSON import format (a list of
``{"data": {...}}`` tasks) and :data:`LABEL_CONFIG` is the labeling interface to paste into
the project settings: the blind answer first, the key and rationale in a collapsed panel,
then the verdict, a reason, and edit fields shown only for the verdict *edit*.

``parse_export`` reads the project's export in Label Studio's *JSON* format (tasks with
their ``annotations``, each a ``result`` list of ``{"from_name", "type", "value"}``) and
turns every submitted annotation into a :class:`Decision` for the same store the web page
writes to. The task data carries the content key, so an annotation is tied to the exact
version it was made on, and the letters are those of the exported order.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from akb.bench.items import LETTERS, Item
from akb.core.errors import DataError
from akb.review.content import Shown, content_key
from akb.review.decision import Decision, first_error, make_decision

LABEL_CONFIG = """<View>
  <Style>.htx-text { white-space: pre-wrap; }</Style>
  <Header value="$title"/>
  <Text name="question" value="$question"/>
  <Text name="options" value="$options"/>
  <Header value="1. Your answer before looking at the key"/>
  <Choices name="blind_answer" toName="question" choice="single" showInline="true">
    <Choice value="A"/>
    <Choice value="B"/>
    <Choice value="C"/>
    <Choice value="D"/>
  </Choices>
  <Collapse>
    <Panel value="2. Key and rationale (open after answering)">
      <Text name="key" value="$key_text"/>
      <Text name="rationale" value="$rationale"/>
    </Panel>
  </Collapse>
  <Header value="3. Verdict"/>
  <Choices name="verdict" toName="question" choice="single" required="true" showInline="true">
    <Choice value="accept"/>
    <Choice value="edit"/>
    <Choice value="reject"/>
  </Choices>
  <TextArea name="note" toName="question" rows="2" maxSubmissions="1" editable="true"
            placeholder="Reason (required to reject) or comment"/>
  <View visibleWhen="choice-selected" whenTagName="verdict" whenChoiceValue="edit">
    <Header value="Edit: fill in only what changes"/>
    <TextArea name="edit_question" toName="question" rows="2" maxSubmissions="1" editable="true" placeholder="new question"/>
    <TextArea name="edit_a" toName="question" maxSubmissions="1" editable="true" placeholder="new option A"/>
    <TextArea name="edit_b" toName="question" maxSubmissions="1" editable="true" placeholder="new option B"/>
    <TextArea name="edit_c" toName="question" maxSubmissions="1" editable="true" placeholder="new option C"/>
    <TextArea name="edit_d" toName="question" maxSubmissions="1" editable="true" placeholder="new option D"/>
    <Choices name="edit_answer" toName="question" choice="single" showInline="true">
      <Choice value="A"/>
      <Choice value="B"/>
      <Choice value="C"/>
      <Choice value="D"/>
    </Choices>
    <TextArea name="edit_rationale" toName="question" rows="2" maxSubmissions="1" editable="true" placeholder="new rationale"/>
  </View>
</View>
"""

_OPTION_FIELDS = ("option_a", "option_b", "option_c", "option_d")
_EDIT_FIELDS = ("edit_a", "edit_b", "edit_c", "edit_d")


def task_of(item: Item) -> dict[str, Any]:
    """One Label Studio task (import format) for an item, in its current option order."""
    shown = Shown.of(item)
    data: dict[str, Any] = {
        "item_id": item.id,
        "title": f"{item.id}  ({item.category} / {item.subcategory})",
        "category": item.category,
        "subcategory": item.subcategory,
        "question": item.question,
        "options": "\n".join(f"{LETTERS[i]}. {c}" for i, c in enumerate(item.choices)),
        "key": item.answer,
        "key_text": f"Key: {item.answer}. {item.answer_text}",
        "rationale": item.rationale,
        "content_key": content_key(shown),
    }
    data.update({f: c for f, c in zip(_OPTION_FIELDS, item.choices, strict=True)})
    return {"data": data}


def export_tasks(items: Sequence[Item], out: str | Path) -> tuple[Path, Path]:
    """Write the tasks JSON and, beside it, the labeling config (``*.labelstudio.xml``)."""
    from akb.core.jsonl import write_json_atomic

    out = Path(out)
    write_json_atomic(out, [task_of(it) for it in items])
    config = out.with_name(out.stem + ".labelstudio.xml")
    write_json_atomic(config, LABEL_CONFIG)
    return out, config


class _Result(BaseModel):
    model_config = ConfigDict(extra="allow")
    from_name: str
    type: str | None = None
    value: dict[str, Any]


class _Annotation(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: int | str | None = None
    result: list[_Result] = []
    was_cancelled: bool = False
    completed_by: int | str | dict[str, Any] | None = None
    created_at: str | None = None
    updated_at: str | None = None


class _Task(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: int | str | None = None
    data: dict[str, Any]
    annotations: list[_Annotation] = []


@dataclass
class ImportReport:
    decisions: list[Decision]
    cancelled: int = 0
    unannotated: int = 0


def _user(completed_by: Any, users: Mapping[str, str]) -> str:
    """Reviewer id for a Label Studio user: from ``users`` (id or email -> name), else
    ``labelstudio:<email or id>``."""
    keys: list[str] = []
    if isinstance(completed_by, dict):
        keys = [str(completed_by[k]) for k in ("email", "id") if completed_by.get(k) is not None]
    elif completed_by is not None:
        keys = [str(completed_by)]
    for k in keys:
        if k in users:
            return users[k]
    if not keys:
        raise ValueError("annotation has no completed_by")
    return f"labelstudio:{keys[0]}"


def _values(results: Sequence[_Result]) -> dict[str, str]:
    """from_name -> the chosen choice or the entered text."""
    out: dict[str, str] = {}
    for r in results:
        v = r.value
        if "choices" in v:
            out[r.from_name] = str(v["choices"][0]) if v["choices"] else ""
        elif "text" in v:
            text = v["text"]
            out[r.from_name] = "\n".join(text) if isinstance(text, list) else str(text)
    return {k: v.strip() for k, v in out.items() if v.strip()}


def _shown(data: Mapping[str, Any]) -> Shown:
    try:
        shown = Shown(id=data["item_id"], category=data["category"], subcategory=data["subcategory"],
                      question=data["question"], choices=[data[f] for f in _OPTION_FIELDS], answer=data["key"],
                      rationale=data.get("rationale", ""))
    except KeyError as e:
        raise ValueError(f"task data lacks {e.args[0]!r}: was it exported by akb review export-labelstudio?") from None
    if content_key(shown) != data.get("content_key"):
        raise ValueError("task data was changed after export (content_key does not match)")
    return shown


def parse_export(path: str | Path, users: Mapping[str, str] | None = None) -> ImportReport:
    """Decisions from a Label Studio JSON export of tasks exported by :func:`export_tasks`."""
    p = Path(path)
    try:
        raw = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError("file not found", file=p) from None
    except json.JSONDecodeError as e:
        raise DataError(f"not valid JSON ({e.msg} at line {e.lineno} column {e.colno})", file=p) from None
    if not isinstance(raw, list):
        raise DataError("expected a JSON list of tasks (Label Studio's 'JSON' export format)", file=p)
    report = ImportReport([])
    for i, obj in enumerate(raw):
        try:
            task = _Task.model_validate(obj)
        except ValidationError as e:
            raise DataError(first_error(e), file=p, field=f"[{i}]") from None
        where = f"[{i}] (task {task.id})"
        try:
            shown = _shown(task.data)
        except (ValueError, ValidationError) as e:
            msg = first_error(e) if isinstance(e, ValidationError) else str(e)
            raise DataError(msg, file=p, field=f"{where}.data") from None
        if not task.annotations:
            report.unannotated += 1
        for j, ann in enumerate(task.annotations):
            if ann.was_cancelled:
                report.cancelled += 1
                continue
            field = f"{where}.annotations[{j}]"
            try:
                report.decisions.append(_decision(task, ann, shown, users or {}))
            except ValidationError as e:
                raise DataError(first_error(e), file=p, field=field) from None
            except ValueError as e:
                raise DataError(str(e), file=p, field=field) from None
    return report


def _decision(task: _Task, ann: _Annotation, shown: Shown, users: Mapping[str, str]) -> Decision:
    vals = _values(ann.result)
    verdict = vals.get("verdict")
    if verdict is None:
        raise ValueError("no verdict chosen")
    at = ann.updated_at or ann.created_at
    if at is None:
        raise ValueError("annotation has neither updated_at nor created_at")
    edit = None
    if verdict == "edit":
        edit = {"question": vals.get("edit_question", shown.question),
                "choices": [vals.get(f, c) for f, c in zip(_EDIT_FIELDS, shown.choices, strict=True)],
                "answer": vals.get("edit_answer", shown.answer),
                "rationale": vals.get("edit_rationale", shown.rationale)}
    return make_decision(shown, reviewer=_user(ann.completed_by, users), verdict=verdict,
                         blind_answer=vals.get("blind_answer"), note=vals.get("note"), edit=edit,
                         source="labelstudio", at=at,  # type: ignore[arg-type]
                         uid=f"labelstudio:{task.id}:{ann.id}:{at}")
