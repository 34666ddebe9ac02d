"""The two-level AKB taxonomy: categories with fixed totals, subcategories with scope notes."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from akb.core.errors import DataError
from akb.core.paths import data_path


class Subcategory(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    name: str
    target: int = Field(ge=1)
    scope: str = Field(min_length=20)


class Category(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    name: str
    total: int = Field(ge=1)
    subcategories: list[Subcategory]

    @model_validator(mode="after")
    def _targets_sum_to_total(self) -> Category:
        ids = [s.id for s in self.subcategories]
        if len(set(ids)) != len(ids):
            raise ValueError(f"category {self.id}: duplicate subcategory ids")
        got = sum(s.target for s in self.subcategories)
        if got != self.total:
            raise ValueError(f"category {self.id}: subcategory targets sum to {got}, total is {self.total}")
        return self


class Taxonomy(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: str
    categories: list[Category]

    @model_validator(mode="after")
    def _unique(self) -> Taxonomy:
        ids = [c.id for c in self.categories]
        if len(set(ids)) != len(ids):
            raise ValueError("duplicate category ids")
        return self

    def category(self, cid: str) -> Category:
        for c in self.categories:
            if c.id == cid:
                return c
        raise KeyError(cid)

    def has(self, category: str, subcategory: str | None = None) -> bool:
        for c in self.categories:
            if c.id == category:
                return subcategory is None or any(s.id == subcategory for s in c.subcategories)
        return False

    @property
    def category_ids(self) -> list[str]:
        return [c.id for c in self.categories]

    @property
    def total(self) -> int:
        return sum(c.total for c in self.categories)

    def n_subcategories(self) -> int:
        return sum(len(c.subcategories) for c in self.categories)

    def category_name(self, cid: str) -> str:
        try:
            return self.category(cid).name
        except KeyError:
            return cid

    def subcategory_name(self, cid: str, sid: str) -> str:
        try:
            return next(s.name for s in self.category(cid).subcategories if s.id == sid)
        except (KeyError, StopIteration):
            return sid


def _load(path: Path) -> Taxonomy:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError("taxonomy file not found", file=path) from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise DataError(f"not valid YAML ({e})", file=path, line=mark.line + 1 if mark else None) from None
    try:
        return Taxonomy.model_validate(raw)
    except ValidationError as e:
        err = e.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or None
        raise DataError(err["msg"], file=path, field=field) from None


@lru_cache(maxsize=8)
def _load_cached(path: str) -> Taxonomy:
    return _load(Path(path))


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """Load the shipped taxonomy, or one from ``path``."""
    return _load_cached(str(Path(path) if path else data_path("taxonomy.yaml")))
