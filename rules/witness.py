"""Witness entries under contract v2 (§1.3): identifying keys at any depth, the derived terms
(vulnerable, needs communication support, needs accessibility, LGBTQI+) and need entries. Read in
IO, MP and IR alike."""

from __future__ import annotations

import re
from typing import Any

from rules.text import as_date, as_int

CODE = re.compile(r"[A-Z0-9]+(-[A-Z0-9]+)+")  # used with fullmatch on the value as written (v2 §1.11)
VULNERABILITIES = (
    "older_person",
    "physical_disability",
    "sensory_disability",
    "intellectual_disability",
    "psychosocial_disability",
    "lgbtqi",
    "other",
)
DISABILITY_VALUES = ("physical_disability", "sensory_disability", "intellectual_disability", "psychosocial_disability")
COMMUNICATION_VALUES = ("sensory_disability", "intellectual_disability", "psychosocial_disability")
NEEDS = (
    "communication",
    "accessibility",
    "health",
    "support_person",
    "interviewer_gender",
    "privacy",
    "schedule",
    "childcare",
    "other",
)
_TOKENS = {
    "name",
    "names",
    "surname",
    "surnames",
    "alias",
    "aliases",
    "nickname",
    "phone",
    "telephone",
    "mobile",
    "email",
    "address",
    "passport",
    "dob",
}
_EXACT = {"date_of_birth", "birth_date", "national_id", "id_number", "e_mail"}


def normalised_key(key: str) -> str:
    """casefold, every maximal run of non-alphanumeric characters -> one `_`, trimmed of `_`."""
    out, run = [], False
    for ch in key.casefold():
        if ch.isalnum():
            out.append(ch)
            run = False
        elif not run:
            out.append("_")
            run = True
    return "".join(out).strip("_")


def is_identifying(key: Any) -> bool:
    if not isinstance(key, str):
        return False
    norm = normalised_key(key)
    return norm in _EXACT or any(token in _TOKENS for token in norm.split("_"))


def _path(prefix: str, key: Any) -> str:
    return f"{prefix}.{key}" if prefix else str(key)


def identifying_path(value: Any, prefix: str = "") -> str | None:
    """The path of the first identifying key with a non-null value: keys in the order written,
    nested values searched depth-first after their key (v2 §1.3)."""
    if isinstance(value, dict):
        for key, inner in value.items():
            here = _path(prefix, key)
            if is_identifying(key) and inner is not None:
                return here
            found = identifying_path(inner, here)
            if found is not None:
                return found
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            found = identifying_path(inner, f"{prefix}[{i}]")
            if found is not None:
                return found
    return None


def code_ok(value: Any) -> bool:
    return isinstance(value, str) and CODE.fullmatch(value) is not None


def vulnerabilities(w: dict[Any, Any]) -> list[str]:
    raw = w.get("vulnerabilities")
    return [v for v in raw if isinstance(v, str) and v in VULNERABILITIES] if isinstance(raw, list) else []


def need_entries(w: dict[Any, Any]) -> list[tuple[int, dict[Any, Any]]]:
    """(index in stated_needs, entry) of every element that is a mapping, whatever its `need`."""
    raw = w.get("stated_needs")
    return [(i, e) for i, e in enumerate(raw) if isinstance(e, dict)] if isinstance(raw, list) else []


def profile(w: dict[Any, Any]) -> dict[str, Any]:
    """The v2 derived terms of one witness entry; `disability` and `vulnerabilities` are independent."""
    age = as_int(w.get("age"))
    vuls = vulnerabilities(w)
    disability = w.get("disability") is True
    needs = [e.get("need") for _, e in need_entries(w)]
    child = age is not None and age < 18
    sgbc = w.get("sgbc_survivor") is True
    caafag = w.get("caafag") is True
    return {
        "age": age,
        "is_child": child,
        "is_sgbc": sgbc,
        "is_sensitive": child or sgbc,
        "caafag": caafag,
        "disability": disability,
        "vulnerabilities": vuls,
        "is_vulnerable": child or sgbc or caafag or disability or bool(vuls),
        "needs_comm": any(v in COMMUNICATION_VALUES for v in vuls)
        or (disability and not any(v in DISABILITY_VALUES for v in vuls))
        or "communication" in needs,
        "needs_access": "physical_disability" in vuls or "accessibility" in needs,
        "is_lgbtqi": "lgbtqi" in vuls,
        "code_ok": code_ok(w.get("code")),
        "identifying_key": identifying_path(w),
        "needs_asked_on": as_date(w.get("needs_asked_on")),
    }
