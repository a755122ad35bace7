"""YAML 1.2 core-schema reading with line numbers (product-format.md §1.1).

PyYAML's composer (libyaml when available: ~40x faster than a pure-Python parser) builds the node
tree (syntax, anchors, line marks); the values are resolved here, by
hand, with exactly the core-schema table of the contract, because every stock resolver differs
somewhere (YAML 1.1 booleans, `045` as octal, `1_000` as an int, timestamps, merge keys).
A quoted or block scalar is always a string; a plain scalar is resolved by the first matching line
of the table. Within a mapping the last duplicate key wins.

Anchors and aliases are refused unless the caller allows them (only our own rule packs do): the
builder expands every alias, so 400 bytes of nested aliases would build billions of nodes. Even
where they are allowed, the nodes built are bounded.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.error import MarkedYAMLError, YAMLError
from yaml.events import AliasEvent, NodeEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

# Only the composer is used (no resolver/constructor values), so the loader's YAML 1.1 typing
# never reaches the result.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_NULL = re.compile(r"^(~|null|Null|NULL|)$")
_TRUE = re.compile(r"^(true|True|TRUE)$")
_FALSE = re.compile(r"^(false|False|FALSE)$")
_INT10 = re.compile(r"^[-+]?[0-9]+$")
_INT8 = re.compile(r"^0o[0-7]+$")
_INT16 = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_INF = re.compile(r"^([-+]?)\.(inf|Inf|INF)$")
_NAN = re.compile(r"^\.(nan|NaN|NAN)$")
# Far above any rule pack (a few thousand nodes), far below what hurts a process.
MAX_NODES = 200_000

Path = tuple[str | int, ...]


class YamlSyntaxError(ValueError):
    """Invalid YAML; `line` is 1-based within the text given to `load` (None when unknown)."""

    def __init__(self, message: str, line: int | None, column: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


@dataclass
class YamlDoc:
    """Plain Python value plus the 1-based line of every mapping value and list element."""

    value: Any
    lines: dict[Path, int] = field(default_factory=dict)

    def line_of(self, path: Path) -> int | None:
        """Line of `path`, or of its nearest ancestor that has one."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get(())


def resolve_plain(text: str) -> Any:
    """The core-schema value of a plain scalar (format §1.1 'YAML scalars')."""
    if _NULL.match(text):
        return None
    if _TRUE.match(text):
        return True
    if _FALSE.match(text):
        return False
    if _INT10.match(text):
        return int(text, 10)
    if _INT8.match(text):
        return int(text[2:], 8)
    if _INT16.match(text):
        return int(text[2:], 16)
    if _FLOAT.match(text):
        return float(text)
    m = _INF.match(text)
    if m:
        return -math.inf if m.group(1) == "-" else math.inf
    if _NAN.match(text):
        return math.nan
    return text


def _hashable(key: Any) -> Any:
    try:
        hash(key)
        return key
    except TypeError:
        return repr(key)


class _Builder:
    def __init__(self) -> None:
        self.lines: dict[Path, int] = {}
        self._active: set[int] = set()
        self._built = 0

    def build(self, node: Node, path: Path) -> Any:
        self._built += 1
        if self._built > MAX_NODES:
            raise YamlSyntaxError(
                f"the YAML expands to more than {MAX_NODES:,} values (aliases repeat what they name)",
                node.start_mark.line + 1,
            )
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, ScalarNode):
            return resolve_plain(node.value) if not node.style else str(node.value)
        if id(node) in self._active:  # a recursive alias: not representable as plain data
            raise YamlSyntaxError("recursive alias", node.start_mark.line + 1)
        self._active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
            if isinstance(node, MappingNode):
                out: dict[Any, Any] = {}
                for key_node, value_node in node.value:
                    key = _hashable(self.build(key_node, path + ("<key>",)))
                    out.pop(key, None)  # last duplicate wins, and takes the last position
                    child = path + (key,)
                    self.lines[child] = value_node.start_mark.line + 1
                    out[key] = self.build(value_node, child)
                self.lines.pop(path + ("<key>",), None)
                return out
        finally:
            self._active.discard(id(node))
        raise YamlSyntaxError(f"unsupported YAML node {type(node).__name__}", node.start_mark.line + 1)


def _refuse_anchors(text: str) -> None:
    """Raise at the first anchor (`&name`) or alias (`*name`): a product or register file has no
    use for them, and an alias is how a few hundred bytes become gigabytes."""
    for event in yaml.parse(text, Loader=_LOADER):
        if isinstance(event, AliasEvent) or (isinstance(event, NodeEvent) and event.anchor is not None):
            what = f"alias *{event.anchor}" if isinstance(event, AliasEvent) else f"anchor &{event.anchor}"
            mark = event.start_mark
            raise YamlSyntaxError(
                f"YAML anchors and aliases are not allowed in this file ({what})", mark.line + 1, mark.column + 1
            )


def load(text: str, *, allow_aliases: bool = False) -> YamlDoc:
    """Parse one YAML document; raise YamlSyntaxError (with its line) on invalid YAML, and on any
    anchor or alias unless `allow_aliases` (our own rule packs use them)."""
    try:
        if not allow_aliases:
            _refuse_anchors(text)
        node = yaml.compose(text, Loader=_LOADER)
    except YamlSyntaxError:
        raise
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        column = mark.column + 1 if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise YamlSyntaxError(f"invalid YAML: {problem}", line, column) from None
    except (YAMLError, ValueError) as exc:
        raise YamlSyntaxError(f"invalid YAML: {exc}", None) from None
    except RecursionError:
        raise YamlSyntaxError("invalid YAML: nesting too deep", None) from None
    if node is None:
        return YamlDoc(None, {})
    builder = _Builder()
    try:
        value = builder.build(node, ())
    except RecursionError:
        raise YamlSyntaxError("invalid YAML: nesting too deep", None) from None
    return YamlDoc(value, builder.lines)
