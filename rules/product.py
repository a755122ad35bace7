"""Reading a product file (format §1-§2) into a `Product`, or into format errors (§7)."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from models.enums import Audience, ProductType
from models.findings import FormatErrorEntry
from rules import yaml12
from rules.markdown import MAX_LINE_CHARS, Body, parse_body
from rules.text import as_bool, as_date, as_int, as_map, version_string

PRODUCT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
V1_TYPES = ("IP", "IO", "CH", "CS", "MP", "AP", "GA")
_STRING_FIELDS = ("title", "team", "situation", "author")


class Product(BaseModel):
    """A well-formed product: raw front matter (core-schema values), field lines, parsed body."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    id: str
    type: ProductType
    audience: Audience
    version: str
    fm: dict[Any, Any]
    field_lines: dict[tuple[Any, ...], int] = Field(default_factory=dict)
    body: Body

    def group(self, name: str) -> dict[Any, Any]:
        return as_map(self.fm.get(name))


class ParseOutcome(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    product: Product | None = None
    product_id: str | None = None
    errors: list[FormatErrorEntry] = Field(default_factory=list)


def split_lines(text: str) -> list[str]:
    """BOM dropped, CRLF -> LF, split on LF only (format §1)."""
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").split("\n")


def _path(parts: tuple[Any, ...]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


class _Checker:
    def __init__(self, fm: dict[Any, Any], doc: yaml12.YamlDoc):
        self.fm, self.doc = fm, doc
        self.errors: list[FormatErrorEntry] = []

    def error(self, parts: tuple[Any, ...], message: str) -> None:
        line = self.doc.line_of(parts)
        self.errors.append(FormatErrorEntry(line=line + 1 if line else None, field=_path(parts), message=message))

    def mapping(self, parts: tuple[Any, ...]) -> dict[Any, Any] | None:
        value: Any = self.fm
        for part in parts:
            value = value.get(part) if isinstance(value, dict) else None
        if isinstance(value, dict):
            return value
        self.error(parts, "missing" if value is None else "must be a mapping")
        return None

    def date(self, group: dict[Any, Any], parts: tuple[Any, ...]) -> None:
        if as_date(group.get(parts[-1])) is None:
            self.error(parts, "missing or not a date (YYYY-MM-DD)")

    def witnesses(self, exactly_one_for: str | None = None) -> None:
        """`witnesses` is a list of mappings with an integer age and a boolean sgbc_survivor
        (format §2.2); `exactly_one_for` names the type that needs exactly one ("an interview outline")."""
        value = self.fm.get("witnesses")
        if not isinstance(value, list):
            self.error(("witnesses",), "missing or not a list")
            return
        if exactly_one_for is not None and len(value) != 1:
            self.error(("witnesses",), f"{exactly_one_for} needs exactly one witness ({len(value)} given)")
        for i, entry in enumerate(value):
            if not isinstance(entry, dict):
                self.error(("witnesses", i), "witness entry must be a mapping")
                continue
            if as_int(entry.get("age")) is None:
                self.error(("witnesses", i, "age"), "missing or not an integer")
            if as_bool(entry.get("sgbc_survivor")) is None:
                self.error(("witnesses", i, "sgbc_survivor"), "missing or not a boolean")


def _check(
    fm: dict[Any, Any], doc: yaml12.YamlDoc, types: tuple[str, ...] = V1_TYPES
) -> tuple[list[FormatErrorEntry], dict[str, Any]]:
    c = _Checker(fm, doc)
    meta: dict[str, Any] = {}
    product = c.mapping(("product",))
    if product is None:
        return c.errors, meta
    pid = product.get("id")
    if not isinstance(pid, str) or not PRODUCT_ID.match(pid):
        c.error(("product", "id"), "missing, not a string or not matching ^[A-Za-z0-9][A-Za-z0-9._-]*$")
    ptype = product.get("type")
    if not isinstance(ptype, str) or ptype not in types:
        c.error(("product", "type"), f"missing or not one of {', '.join(types)}")
        ptype = None
    for name in _STRING_FIELDS:
        if not isinstance(product.get(name), str):
            c.error(("product", name), "missing or not a string")
    version = version_string(product.get("version"))
    if version is None:
        c.error(("product", "version"), "missing or not a string")
    c.date(product, ("product", "submitted_on"))
    audience = product.get("audience")
    if not isinstance(audience, str) or audience not in {a.value for a in Audience}:
        c.error(("product", "audience"), "missing or not one of internal, external, court")
    meta.update(id=pid, type=ptype, audience=audience, version=version)
    if ptype is not None:
        from rules.product_types import spec_for

        spec_for(ptype).structure(c)
    return c.errors, meta


def _overlong_lines(lines: list[str]) -> list[FormatErrorEntry]:
    return [
        FormatErrorEntry(
            line=number,
            message=f"line {number} has {len(line):,} characters; a product line may have at most {MAX_LINE_CHARS:,}",
        )
        for number, line in enumerate(lines, start=1)
        if len(line) > MAX_LINE_CHARS
    ]


def _front_matter_lines(text: str) -> list[str]:
    """The lines up to and including the closing `---` (or all of them when it is missing), split
    as split_lines does, without splitting the whole body: a 25 MB body need not become a list of
    lines just to read the front matter."""
    if text.startswith("\ufeff"):
        text = text[1:]
    lines: list[str] = []
    start = 0
    while True:
        end = text.find("\n", start)
        if end < 0:
            lines.append(text[start:])
            return lines
        line = text[start:end]
        lines.append(line[:-1] if line.endswith("\r") else line)  # CRLF -> LF, as split_lines
        if (len(lines) == 1 and lines[0] != "---") or (len(lines) > 1 and lines[-1] == "---"):
            return lines
        start = end + 1


def parse_product(text: str, types: tuple[str, ...] | None = None, *, with_body: bool = True) -> ParseOutcome:
    """The product, or its format errors. `types`: the product types of the contract a pack implements
    (an engine passes its own: v1 has no IR); None: every type of models.enums.ProductType.
    `with_body=False`: the front matter only, checked just as fully, with an empty body (the web app
    stores a submission; the worker's pre-check reads the body)."""
    types = types or tuple(t.value for t in ProductType)
    lines = split_lines(text) if with_body else _front_matter_lines(text)
    overlong = _overlong_lines(lines)
    if overlong:
        return ParseOutcome(errors=overlong)
    if lines[0] != "---":
        return ParseOutcome(errors=[FormatErrorEntry(line=1, message="the first line must be exactly '---'")])
    close = next((i for i in range(1, len(lines)) if lines[i] == "---"), None)
    if close is None:
        return ParseOutcome(errors=[FormatErrorEntry(line=1, message="front matter is not closed by a '---' line")])
    try:
        doc = yaml12.load("\n".join(lines[1:close]))
    except yaml12.YamlSyntaxError as exc:
        line = exc.line + 1 if exc.line is not None else None
        return ParseOutcome(errors=[FormatErrorEntry(line=line, message=exc.message)])
    if not isinstance(doc.value, dict):
        return ParseOutcome(errors=[FormatErrorEntry(line=2, message="front matter is not a YAML mapping")])
    fm = doc.value
    raw_id = as_map(fm.get("product")).get("id")
    product_id = raw_id if isinstance(raw_id, str) else None
    errors, meta = _check(fm, doc, types)
    if errors:
        return ParseOutcome(product_id=product_id, errors=errors)
    body = parse_body("\n".join(lines[close + 1 :]) if with_body else "", first_line=close + 2)
    field_lines = {path: line + 1 for path, line in doc.lines.items()}
    product = Product(
        id=meta["id"],
        type=meta["type"],
        audience=meta["audience"],
        version=meta["version"],
        fm=fm,
        field_lines=field_lines,
        body=body,
    )
    return ParseOutcome(product=product, product_id=product_id)
