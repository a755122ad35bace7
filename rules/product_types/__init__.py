"""The product-type registry: every product type of the contract is declared once, in its own module
of this package (`ip.py`, `io.py`, ...), as a `ProductTypeSpec`.

A spec says everything the rest of the system needs to know about a type: its label, its GCU
template (section keys in template order, format §3.4), what is structural in it (format §7), how
its rule facts are built, which front-matter fields join the scanned text (format §5.2), whether and
when it counts for KPI 10 (requirements.md §7.1), whether it feeds KPI 11's charge register, and
which unit reviews it. Nothing else dispatches
on a type code: the parser, the facts, the scanned text, the KPI facts, the web labels and the
review routing all read the spec.

Adding a type: one module here with a `SPEC`, the enum value in `models.enums.ProductType`, and its
rule pack. The registry is checked when it is first read: a type in the enum without a module, a
module for a type outside the enum, two modules for one type or an unknown section key fail loudly
(`RegistryError`), never by falling through to a default.

Pure code: importable by `rules/` (no database, no Temporal).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields
from enum import StrEnum
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from models.enums import ProductType

if TYPE_CHECKING:
    from rules.facts import Inputs
    from rules.product import _Checker


class ReviewUnit(StrEnum):
    """Who reviews a type's products."""

    GCU = "gcu"  # the Gender and Children Unit (requirements.md §1.6)
    SPU = "spu"  # the Security and Protection Unit (contract v2 §5.3)


class ScannedField(StrEnum):
    """Front-matter units of the scanned text (format §5.2 items 2 and 3), in scanned-text order."""

    COUNTS = "counts"  # each count's label then reason
    EXCLUSIONS = "exclusions"  # the eight exclusion keys (format §2.13)


FactBuilder = Callable[["Inputs", dict[str, Any]], None]
# (front matter, trigger test run only when asked) -> (relevant, reason in words)
Relevance = Callable[[Mapping[Any, Any], Callable[[], bool]], tuple[bool, str]]


@dataclass(frozen=True)
class Kpi10Rule:
    """Whether and when a product counts for KPI 10 (requirements.md §7.1, v2 §6.2)."""

    relevance: Relevance
    # Front-matter path of the execution date (the product is late when submitted on or after it);
    # None: the reference date is `product.submitted_on`.
    execution_date: tuple[str, str] | None = None


@dataclass(frozen=True)
class ProductTypeSpec:
    code: ProductType
    label: str  # "Interview outline"
    plural: str  # "Interview outlines"
    template: tuple[str, ...]  # section keys in GCU template order (format §3.4, v2 §1.6)
    structure: Callable[[_Checker], None]  # type-specific structural checks (format §7, v2 §1.8)
    facts: tuple[FactBuilder, ...]  # run after the facts common to every type (rules/facts.py)
    fact_defaults: tuple[Callable[[], dict[str, Any]], ...]  # neutral values of the names they set
    scanned_fields: tuple[ScannedField, ...]  # front-matter units beyond product.title
    kpi10: Kpi10Rule
    kpi11_charges: bool  # its counts seed KPI 11's charge register (requirements.md §7.2)
    review_unit: ReviewUnit
    # Staff ids the front matter names who may not review the product, beyond its author and team
    # (the separation of duties of v2 §5.3: nobody who appears in an interview record).
    conflicted_staff: Callable[[Mapping[Any, Any]], frozenset[str]]

    @property
    def reads_exclusions(self) -> bool:
        return ScannedField.EXCLUSIONS in self.scanned_fields


def nobody_else(front_matter: Mapping[Any, Any]) -> frozenset[str]:
    """A type reviewed at arm's length from its team only (requirements.md §1.6)."""
    return frozenset()


def no_further_structure(checker: _Checker) -> None:
    """A type whose only structural fields are those of `product` (format §2.1)."""


class RegistryError(RuntimeError):
    """The registry does not declare every product type exactly once and completely."""


def validate(
    specs: Iterable[ProductTypeSpec], enum: Iterable[StrEnum] = ProductType, section_keys: Iterable[str] | None = None
) -> dict[str, ProductTypeSpec]:
    """The specs by type code, or a `RegistryError` naming every gap."""
    if section_keys is None:
        from rules.sections import SECTION_HEADINGS

        section_keys = SECTION_HEADINGS
    known_sections = set(section_keys)
    codes = [member.value for member in enum]
    by_code: dict[str, ProductTypeSpec] = {}
    problems: list[str] = []
    for spec in specs:
        code = str(spec.code)
        if code in by_code:
            problems.append(f"{code}: declared twice")
            continue
        by_code[code] = spec
        if code not in codes:
            problems.append(f"{code}: declared but not a value of {getattr(enum, '__name__', 'the enum')}")
        missing = [f.name for f in fields(spec) if getattr(spec, f.name) in (None, "")]
        if missing:
            problems.append(f"{code}: incomplete registration, no {', '.join(missing)}")
            continue
        if not spec.template or spec.template[0] != "summary":
            problems.append(f"{code}: the template must start with `summary` (format §3.4)")
        unknown = [key for key in spec.template if key not in known_sections]
        if unknown:
            problems.append(f"{code}: template names unknown section keys {', '.join(unknown)}")
        if not callable(spec.kpi10.relevance):
            problems.append(f"{code}: KPI 10 relevance is not a function")
    for code in codes:
        if code not in by_code:
            problems.append(f"{code}: in the enum but has no module in rules/product_types/ (no registration)")
    if problems:
        raise RegistryError("product-type registry: " + "; ".join(problems))
    return {code: by_code[code] for code in codes}


def discover() -> list[ProductTypeSpec]:
    """The `SPEC` of every module of this package (modules starting with `_` are helpers)."""
    specs = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        spec = getattr(module, "SPEC", None)
        if not isinstance(spec, ProductTypeSpec):
            raise RegistryError(f"product-type registry: rules/product_types/{info.name}.py has no SPEC")
        specs.append(spec)
    return specs


@lru_cache(maxsize=1)
def registry() -> dict[str, ProductTypeSpec]:
    """Every product type's spec, in enum order (checked once, on first use)."""
    return validate(discover())


def spec_for(code: str | ProductType) -> ProductTypeSpec:
    try:
        return registry()[str(code)]
    except KeyError:
        raise RegistryError(f"unknown product type {str(code)!r}; the types are {', '.join(registry())}") from None


def all_specs() -> list[ProductTypeSpec]:
    return list(registry().values())


def codes_reviewed_by(unit: ReviewUnit) -> list[str]:
    return [code for code, spec in registry().items() if spec.review_unit == unit]


def conflicted_staff(code: str, front_matter: Mapping[Any, Any]) -> frozenset[str]:
    return spec_for(code).conflicted_staff(front_matter)


def codes_with_charges() -> list[str]:
    return [code for code, spec in registry().items() if spec.kpi11_charges]


def label_for(code: str) -> str:
    spec = registry().get(str(code))
    return spec.label if spec is not None else str(code)
