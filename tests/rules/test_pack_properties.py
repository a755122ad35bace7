"""Property tests: a mutated rule pack either loads or fails with a PackError naming its file.

The engine refuses to start on a broken pack, and the operator fixing it needs the file (and the
line, for YAML and field errors) — never a KeyError or a pydantic traceback. Each example copies
rules/packs, mutates one file (random YAML text, a deleted key, CEL garbage in a condition, a value
of another type, a garbage regex) and loads it with `Engine.load`. The deterministic single-error
cases (which file, which line, which column) live in test_packs.py.
"""

from __future__ import annotations

import copy
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rules import yaml12
from rules.engine import Engine
from rules.loader import V1_PACK_DIR as DEFAULT_PACK_DIR
from rules.pack import MANIFEST, PackError

FILES = sorted(p.name for p in DEFAULT_PACK_DIR.glob("*.yaml"))
ORIGINAL = {
    name: yaml12.load((DEFAULT_PACK_DIR / name).read_text(encoding="utf-8"), allow_aliases=True).value for name in FILES
}
CEL_KEYS = {"applies_when", "when", "check", "failing"}
SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)


@pytest.fixture(scope="module")
def pack_root():
    with tempfile.TemporaryDirectory() as tmp:
        yield Path(tmp)


def _fresh_copy(root: Path) -> Path:
    target = root / "packs"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(DEFAULT_PACK_DIR, target)
    return target


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path to a mapping key or list element in the document."""
    out = []
    if isinstance(value, dict):
        for key, child in value.items():
            out.append((*prefix, key))
            out.extend(_paths(child, (*prefix, key)))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            out.append((*prefix, i))
            out.extend(_paths(child, (*prefix, i)))
    return out


def _parent(doc: Any, path: tuple) -> Any:
    for part in path[:-1]:
        doc = doc[part]
    return doc


def _dump(value: Any) -> str:
    return yaml.safe_dump(value, sort_keys=False, allow_unicode=True, width=100)


def _copy(value: Any) -> Any:
    return copy.deepcopy(value)


def _assert_loads_or_names_the_file(pack_dir: Path, mutated: str, needs_line: bool) -> None:
    try:
        Engine.load(pack_dir)
    except PackError as exc:
        names = {str(pack_dir / name) for name in FILES}
        assert exc.file in names, f"PackError names no pack file: {exc}"
        assert str(exc).startswith(exc.file)
        assert exc.message
        if needs_line and exc.file == str(pack_dir / mutated):
            assert exc.line is not None, f"no line for an error in the mutated file: {exc}"
            assert f"{exc.file}:{exc.line}" in str(exc)


ANY_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)
CEL_GARBAGE = st.one_of(
    st.text(max_size=40),
    st.lists(
        st.sampled_from(
            [
                "(",
                ")",
                "[",
                "]",
                "{",
                "}",
                ".",
                "&&",
                "||",
                "!",
                "==",
                "?",
                ":",
                "size(",
                "facts",
                "product",
                "x",
                "1",
                "'a'",
                '"',
                "in",
                "has(",
                ",",
                "1.5e",
                "null",
                "true",
                ".exists(",
                "matches(",
                "\\",
                "b'",
                "0x",
            ]
        ),
        max_size=12,
    ).map(" ".join),
)
REGEX_GARBAGE = st.text(alphabet="()[]{}*+?|\\^$.-aZ09:<>!=", max_size=15)


@SETTINGS
@given(file=st.sampled_from(FILES), data=st.data())
def test_a_deleted_key_or_element_loads_or_names_its_file(pack_root, file, data):
    doc = _copy(ORIGINAL[file])
    path = data.draw(st.sampled_from(_paths(doc)), label="path")
    del _parent(doc, path)[path[-1]]
    pack_dir = _fresh_copy(pack_root)
    (pack_dir / file).write_text(_dump(doc), encoding="utf-8")
    _assert_loads_or_names_the_file(pack_dir, file, needs_line=False)


@SETTINGS
@given(file=st.sampled_from(FILES), data=st.data(), value=ANY_VALUE)
def test_a_value_of_another_type_loads_or_names_its_file_and_line(pack_root, file, data, value):
    doc = _copy(ORIGINAL[file])
    path = data.draw(st.sampled_from(_paths(doc)), label="path")
    _parent(doc, path)[path[-1]] = value
    pack_dir = _fresh_copy(pack_root)
    (pack_dir / file).write_text(_dump(doc), encoding="utf-8")
    _assert_loads_or_names_the_file(pack_dir, file, needs_line=True)


@SETTINGS
@given(file=st.sampled_from([f for f in FILES if f != MANIFEST]), data=st.data())
def test_cel_or_regex_garbage_loads_or_names_its_file_and_line(pack_root, file, data):
    doc = _copy(ORIGINAL[file])
    targets = [
        p
        for p in _paths(doc)
        if (p[-1] in CEL_KEYS and isinstance(_parent(doc, p)[p[-1]], str)) or (len(p) > 1 and p[-2] == "patterns")
    ]
    path = data.draw(st.sampled_from(targets), label="path")
    garbage = data.draw(REGEX_GARBAGE if path[-2] == "patterns" else CEL_GARBAGE, label="garbage")
    _parent(doc, path)[path[-1]] = garbage
    pack_dir = _fresh_copy(pack_root)
    (pack_dir / file).write_text(_dump(doc), encoding="utf-8")
    _assert_loads_or_names_the_file(pack_dir, file, needs_line=True)


@SETTINGS
@given(file=st.sampled_from(FILES), data=st.data())
def test_random_yaml_text_loads_or_names_its_file(pack_root, file, data):
    original = (DEFAULT_PACK_DIR / file).read_text(encoding="utf-8").split("\n")
    kind = data.draw(st.sampled_from(["replace", "insert", "cut"]), label="kind")
    if kind == "replace":
        text = data.draw(st.text(max_size=300), label="text")
    else:
        at = data.draw(st.integers(0, len(original)), label="at")
        if kind == "insert":
            noise = data.draw(st.text(alphabet=st.sampled_from(list(":-[]{}#&*!|>'\"%@`, \t\nab1")), max_size=40))
            text = "\n".join([*original[:at], noise, *original[at:]])
        else:
            n = data.draw(st.integers(1, 20), label="n")
            text = "\n".join([*original[:at], *original[at + n :]])
    pack_dir = _fresh_copy(pack_root)
    (pack_dir / file).write_text(text, encoding="utf-8")
    _assert_loads_or_names_the_file(pack_dir, file, needs_line=False)


def test_a_pack_file_that_is_not_utf8_names_its_file(pack_root):
    pack_dir = _fresh_copy(pack_root)
    (pack_dir / "ip.yaml").write_bytes(b"version: \xff\xfe\n")
    with pytest.raises(PackError) as exc:
        Engine.load(pack_dir)
    assert exc.value.file == str(pack_dir / "ip.yaml")


def test_an_invalid_sgbc_int_07_pattern_names_io_sgbc_yaml_and_its_line(pack_root):
    pack_dir = _fresh_copy(pack_root)
    doc = _copy(ORIGINAL["io_sgbc.yaml"])
    rule = next(r for r in doc["rules"] if r["id"] == "SGBC-INT-07")
    rule["patterns"][0] = "(unclosed"
    (pack_dir / "io_sgbc.yaml").write_text(_dump(doc), encoding="utf-8")
    with pytest.raises(PackError) as exc:
        Engine.load(pack_dir)
    assert exc.value.file == str(pack_dir / "io_sgbc.yaml")
    assert exc.value.line is not None


def test_a_missing_engine_regex_names_the_manifest_and_the_line_of_regexes(pack_root):
    pack_dir = _fresh_copy(pack_root)
    doc = _copy(ORIGINAL[MANIFEST])
    del doc["regexes"]["R_CORROBORATION"]
    (pack_dir / MANIFEST).write_text(_dump(doc), encoding="utf-8")
    with pytest.raises(PackError) as exc:
        Engine.load(pack_dir)
    assert exc.value.file == str(pack_dir / MANIFEST)
    assert exc.value.line is not None
