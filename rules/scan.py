"""The scanned text (format §5.2): an ordered list of normalised units, each able to name the
location (`line:<n>` or `field:<path>`) of a match."""

from __future__ import annotations

import bisect
import dataclasses
from dataclasses import dataclass

from rules.product import Product
from rules.product_types import ScannedField, spec_for
from rules.text import as_map, normalise

EXCLUSION_ORDER = [
    "sgbc",
    "cac",
    "sexual_violence",
    "gender_persecution",
    "forced_marriage",
    "enslavement",
    "forced_pregnancy",
    "child_recruitment",
]


@dataclass
class Unit:
    text: str
    field: str | None = None  # front-matter unit
    line_starts: list[int] = dataclasses.field(default_factory=list)  # body unit: output offsets of lines
    line_numbers: list[int] = dataclasses.field(default_factory=list)
    is_body: bool = False

    def location(self, offset: int) -> str:
        if self.field is not None:
            return f"field:{self.field}"
        i = max(bisect.bisect_right(self.line_starts, offset) - 1, 0)
        return f"line:{self.line_numbers[i]}"


def front_matter_units(p: Product) -> list[Unit]:
    units = []
    title = p.group("product").get("title")
    if isinstance(title, str):
        units.append(Unit(normalise(title), field="product.title"))
    scanned = spec_for(p.type).scanned_fields
    if ScannedField.COUNTS in scanned and isinstance(p.fm.get("counts"), list):
        for i, count in enumerate(p.fm["counts"]):
            count = as_map(count)
            for key in ("label", "reason"):
                if isinstance(count.get(key), str):
                    units.append(Unit(normalise(count[key]), field=f"counts[{i}].{key}"))
    if ScannedField.EXCLUSIONS in scanned:
        exclusions = as_map(p.fm.get("exclusions"))
        for key in EXCLUSION_ORDER:
            if isinstance(exclusions.get(key), str):
                units.append(Unit(normalise(exclusions[key]), field=f"exclusions.{key}"))
    return units


def body_units(p: Product, key: str | None = None) -> list[Unit]:
    blocks = p.body.blocks if key is None else p.body.section_blocks(key)
    units = []
    for block in blocks:
        text, starts = block.unit()
        units.append(
            Unit(
                text,
                line_starts=[s for s, _ in starts],
                line_numbers=[p.body.file_line(i) for _, i in starts],
                is_body=True,
            )
        )
    return units


def scanned_units(p: Product) -> list[Unit]:
    return front_matter_units(p) + body_units(p)
