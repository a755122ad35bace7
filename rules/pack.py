"""Rule packs (rules/packs/*.yaml): schema, loading with file/line/column errors, CEL compilation."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from models.enums import ProductType, Severity
from rules import yaml12

MANIFEST = "pack.yaml"


class PackError(Exception):
    """A broken pack: the engine refuses to start."""

    def __init__(self, message: str, file: str, line: int | None = None, column: int | None = None):
        where = file + (f":{line}" if line else "") + (f":{column}" if line and column else "")
        super().__init__(f"{where}: {message}")
        self.message, self.file, self.line, self.column = message, file, line, column


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Example(_Strict):
    name: str = ""
    facts: dict[str, Any] = {}
    text: str | None = None  # pattern rules: one unit of scanned text
    quote: str | None = None  # LANG-04: one quoted passage (contract v2 §1.7)
    trigger: list[str] | None = None  # trigger-text units: the `trigger.R_*` facts are computed from them


class Examples(_Strict):
    fires: list[Example]
    passes: list[Example]

    @model_validator(mode="after")
    def _both(self) -> Examples:
        if not self.fires or not self.passes:
            raise ValueError("every rule needs at least one example that fires and one that passes")
        return self


class SubCondition(_Strict):
    name: str
    when: str | None = None
    check: str | None = None
    failing: str | None = None  # CEL list of failing items (maps with a `label`); empty = met
    location: str
    severity: Severity | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> SubCondition:
        if (self.check is None) == (self.failing is None):
            raise ValueError("a sub-condition has exactly one of `check` or `failing`")
        return self


class SeverityCase(_Strict):
    when: str | None = None
    severity: Severity


class Rule(_Strict):
    id: str
    title: str
    applies_to: list[ProductType]
    applies_when: str = "true"
    requires: list[SubCondition]
    severity: Severity | list[SeverityCase]
    citation: str
    fix: str
    patterns: list[str] | None = None
    examples: Examples


class PackFile(_Strict):
    version: str
    family: str
    description: str = ""
    rules: list[Rule]


class Manifest(_Strict):
    version: str
    contract: str
    description: str = ""
    precedence: list[str]
    order: list[str]
    regexes: dict[str, str]


def read_yaml(path: Path) -> yaml12.YamlDoc:
    try:
        return yaml12.load(path.read_text(encoding="utf-8"), allow_aliases=True)
    except yaml12.YamlSyntaxError as exc:
        raise PackError(exc.message, str(path), exc.line, exc.column) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PackError(f"cannot read: {exc}", str(path)) from None


def validate(model: type[BaseModel], doc: yaml12.YamlDoc, path: Path) -> Any:
    try:
        return model.model_validate(doc.value)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        line = doc.line_of(tuple(p for p in loc if isinstance(p, (str, int))))
        where = ".".join(str(p) for p in loc)
        raise PackError(f"{where}: {err['msg']}", str(path), line) from None


def compile_regex(source: str, file: str, line: int | None, what: str) -> re.Pattern[str]:
    try:
        return re.compile(source, re.IGNORECASE)
    except re.error as exc:
        raise PackError(f"{what}: invalid regex: {exc}", file, line, (exc.colno or 0) or None) from None


def rule_files(pack_dir: Path) -> list[Path]:
    return sorted(p for p in pack_dir.glob("*.yaml") if p.name != MANIFEST)
