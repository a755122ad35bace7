"""YAML anchors and aliases are refused in products, rosters and register imports (issue 17: 426
bytes of nested aliases cost 17 s and 2.3 GiB); rule packs may use them, within a node budget."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules import yaml12
from rules.product import parse_product
from rules.roster import RosterError, parse_roster_text
from store.cert_import import parse_yaml as parse_register_import


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, levels):
        lines.append(f"a{level}: &a{level} [" + ",".join([f"*a{level - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def test_the_alias_bomb_is_refused_at_its_first_anchor_line():
    text = alias_bomb()
    assert len(text.encode()) < 500
    with pytest.raises(yaml12.YamlSyntaxError) as exc:
        yaml12.load(text)
    assert exc.value.line == 1 and "anchor &a0" in exc.value.message and "not allowed" in exc.value.message


@settings(max_examples=200, deadline=None)
@given(
    before=st.lists(st.from_regex(r"k[0-9]{1,3}: [a-z]{1,8}", fullmatch=True), max_size=8),
    name=st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,10}", fullmatch=True),
    use_alias=st.booleans(),
)
def test_any_anchor_or_alias_is_refused_with_its_line(before, name, use_alias):
    anchored = f"anchored: &{name} value"
    lines = [*before, anchored] + ([f"again: *{name}"] if use_alias else [])
    with pytest.raises(yaml12.YamlSyntaxError) as exc:
        yaml12.load("\n".join(lines) + "\n")
    # The anchor comes first, so it is what is named.
    assert exc.value.line == len(before) + 1
    assert f"&{name}" in exc.value.message


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet="ab:&* \n-[],", max_size=80))
def test_text_without_anchors_loads_as_before_and_with_them_is_refused(text):
    try:
        events = list(yaml12.yaml.parse(text, Loader=yaml12._LOADER))
    except yaml12.YAMLError:
        return
    has_anchor = any(isinstance(e, yaml12.AliasEvent) or (isinstance(e, yaml12.NodeEvent) and e.anchor) for e in events)
    if has_anchor:
        with pytest.raises(yaml12.YamlSyntaxError):
            yaml12.load(text)
    else:
        try:
            refused = yaml12.load(text).value
        except yaml12.YamlSyntaxError:
            refused = "error"
        try:
            allowed = yaml12.load(text, allow_aliases=True).value
        except yaml12.YamlSyntaxError:
            allowed = "error"
        assert refused == allowed


def test_a_product_with_an_alias_is_a_format_error_naming_the_file_line():
    text = (
        "---\nproduct:\n  id: GA-T-1\n  type: GA\n  title: &t Analysis\n  team: T-X\n  situation: *t\n"
        '  version: "1.0"\n  author: A-1\n  submitted_on: 2025-01-02\n  audience: internal\n---\n# Summary\n'
    )
    outcome = parse_product(text)
    assert outcome.product is None
    [error] = outcome.errors
    assert error.line == 5 and "anchor &t" in error.message


def test_a_roster_with_an_alias_is_refused_naming_the_line():
    with pytest.raises(RosterError) as exc:
        parse_roster_text("teams: []\nstaff:\n  - &p {id: A-1}\n  - *p\n", "roster.yaml")
    assert exc.value.line == 3 and "not allowed" in exc.value.message


def test_a_register_import_with_an_alias_is_refused_naming_the_line():
    parsed = parse_register_import(alias_bomb(), staff_ids=set())
    assert parsed.problems and "line 1" in str(parsed.problems[0])


def test_rule_packs_may_use_aliases_but_not_unbounded_expansion():
    assert yaml12.load("a: &x [1, 2]\nb: *x\n", allow_aliases=True).value == {"a": [1, 2], "b": [1, 2]}
    with pytest.raises(yaml12.YamlSyntaxError) as exc:
        yaml12.load(alias_bomb(), allow_aliases=True)
    assert f"more than {yaml12.MAX_NODES:,}" in exc.value.message
