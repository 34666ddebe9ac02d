"""Load items from the shipped AKB-2000 file, any JSONL path, or a Hugging Face dataset.

Every problem is reported as one :class:`DataError` naming the file, the line and the
field. Validation is all-or-nothing: either every item loads or the caller gets an error.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from akb.bench.items import Item
from akb.bench.taxonomy import Taxonomy, load_taxonomy
from akb.core.errors import DataError, MissingDependencyError
from akb.core.jsonl import iter_jsonl
from akb.core.paths import data_path

AKB2000_FILE = "akb2000.jsonl"


def default_items_path() -> Path:
    return data_path(AKB2000_FILE)


def validation_to_data_error(e: ValidationError, *, file: str | Path | None, line: int | None) -> DataError:
    """The first problem of a pydantic error as a located DataError."""
    errs = e.errors()
    err = errs[0]
    field = ".".join(str(p) for p in err["loc"]) or None
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "missing":
        msg = "required field is missing"
    elif err["type"] == "extra_forbidden":
        msg = "unknown field (typo?)"
    elif err["type"] == "literal_error" and field == "answer":
        msg = f"must be one of A, B, C, D (got {err.get('input')!r})"
    if len(errs) > 1:
        msg += f" (and {len(errs) - 1} more problem{'s' if len(errs) > 2 else ''} in this item)"
    return DataError(msg, file=file, line=line, field=field)


def parse_records(
    records: Iterable[tuple[int, Mapping[str, Any]]],
    *,
    source: str | Path,
    taxonomy: Taxonomy | None,
) -> list[Item]:
    """Validate (line, record) pairs into items, checking ids and the taxonomy."""
    items: list[Item] = []
    first_line: dict[str, int] = {}
    for lineno, rec in records:
        try:
            item = Item.model_validate(dict(rec))
        except ValidationError as e:
            raise validation_to_data_error(e, file=source, line=lineno) from None
        if item.id in first_line:
            raise DataError(
                f"duplicate id {item.id!r} (first used on line {first_line[item.id]})",
                file=source,
                line=lineno,
                field="id",
            )
        first_line[item.id] = lineno
        if taxonomy is not None:
            if not taxonomy.has(item.category):
                raise DataError(
                    f"unknown category {item.category!r}; known: {', '.join(taxonomy.category_ids)}",
                    file=source,
                    line=lineno,
                    field="category",
                )
            if not taxonomy.has(item.category, item.subcategory):
                raise DataError(
                    f"unknown subcategory {item.subcategory!r} for category {item.category!r}",
                    file=source,
                    line=lineno,
                    field="subcategory",
                )
        items.append(item)
    return items


def load_items(
    source: str | Path | Any | None = None,
    *,
    taxonomy: Taxonomy | None | bool = True,
    split: str = "train",
) -> list[Item]:
    """Load and validate items.

    ``source`` is ``None`` (the shipped AKB-2000), a JSONL path, ``"hf:NAME"`` (a dataset
    loaded with ``datasets.load_dataset(NAME)``), or a ``datasets.Dataset`` object.
    ``taxonomy=True`` checks categories against the shipped taxonomy; pass a Taxonomy to
    use another, or ``False``/``None`` to skip the check.
    """
    tax: Taxonomy | None
    if taxonomy is True:
        tax = load_taxonomy()
    elif taxonomy is False or taxonomy is None:
        tax = None
    else:
        tax = taxonomy
    if source is None:
        source = default_items_path()
    if isinstance(source, str) and source.startswith("hf:"):
        try:
            import datasets
        except ImportError:
            raise MissingDependencyError("datasets", "datasets", "loading a Hugging Face dataset") from None
        ds = datasets.load_dataset(source[3:], split=split)
        return _from_dataset(ds, name=source, taxonomy=tax)
    if isinstance(source, (str, Path)):
        items = parse_records(iter_jsonl(source), source=source, taxonomy=tax)
        if not items:
            raise DataError("holds no items (an empty file)", file=source)
        return items
    if hasattr(source, "features") and hasattr(source, "__iter__"):
        return _from_dataset(source, name=getattr(source, "info", None) and source.info.dataset_name or "dataset", taxonomy=tax)
    raise TypeError(f"cannot load items from {type(source).__name__}")


def _from_dataset(ds: Any, *, name: str, taxonomy: Taxonomy | None) -> list[Item]:
    def rows() -> Iterable[tuple[int, dict[str, Any]]]:
        for i, row in enumerate(ds, start=1):
            yield i, _drop_nulls(row)

    return parse_records(rows(), source=f"{name} (row)", taxonomy=taxonomy)


def _drop_nulls(obj: Any) -> Any:
    """Arrow fills absent struct fields with None; drop them so optional fields validate."""
    if isinstance(obj, dict):
        return {k: _drop_nulls(v) for k, v in obj.items() if v is not None}
    if isinstance(obj, list):
        return [_drop_nulls(v) for v in obj]
    return obj
