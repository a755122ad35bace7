"""YAML 1.2 core schema exactly as product-format.md §1.1 says."""

import math

import pytest

from rules import yaml12


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("045", 45),
        ("0o17", 15),
        ("0x10", 16),
        ("-7", -7),
        ("1_000", "1_000"),
        ("1:30", "1:30"),
        ("0b101", "0b101"),
        ("yes", "yes"),
        ("no", "no"),
        ("on", "on"),
        ("off", "off"),
        ("y", "y"),
        ("True", True),
        ("FALSE", False),
        ("~", None),
        ("", None),
        ("Null", None),
        ("2025-03-05", "2025-03-05"),
        ("2025-03-05 10:00:00", "2025-03-05 10:00:00"),
        ("1e3", 1000.0),
        (".5", 0.5),
        ("'045'", "045"),
        ('"true"', "true"),
        ("<<", "<<"),
    ],
)
def test_plain_and_quoted_scalars_resolve_with_the_core_schema(text, value):
    assert yaml12.load(f"k: {text}\n").value["k"] == value


def test_special_floats():
    assert yaml12.load("a: .inf\nb: -.Inf\n").value == {"a": math.inf, "b": -math.inf}
    assert math.isnan(yaml12.load("c: .NaN\n").value["c"])


def test_keys_are_resolved_too_and_the_last_duplicate_wins():
    doc = yaml12.load("no: 1\nno: 2\nyes: x\n")
    assert doc.value == {"no": 2, "yes": "x"}
    assert doc.lines[("no",)] == 2


def test_syntax_error_names_its_line():
    with pytest.raises(yaml12.YamlSyntaxError) as exc:
        yaml12.load("a: 1\nb: [1,\nc: 2\n")
    assert exc.value.line is not None and exc.value.line >= 2
