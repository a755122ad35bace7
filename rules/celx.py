"""A thin, strict wrapper over cel-expr-python: compile at load, raise on CEL error values."""

from __future__ import annotations

import re
from typing import Any

from cel_expr_python import cel

from rules.pack import PackError

_POSITION = re.compile(r"<input>:(\d+):(\d+): (.*?)(\n|$)")


class EngineError(RuntimeError):
    """A rule could not be evaluated (a CEL runtime error): never a pass, never a fail."""


def new_env(names: list[str]) -> Any:
    return cel.NewEnv(variables={name: cel.Type.DYN for name in names})


class CelExpr:
    """One compiled expression and where it came from (pack file, line, rule, role)."""

    def __init__(self, env: Any, source: str, file: str, line: int | None, what: str):
        self.source, self.file, self.line, self.what = source, file, line, what
        try:
            self.expr = env.compile(source)
        except RuntimeError as exc:
            text = str(exc)
            m = _POSITION.search(text)
            column = int(m.group(2)) if m else None
            detail = m.group(3) if m else text
            raise PackError(f"{what}: CEL error in `{source}`: {detail}", file, line, column) from None

    def value(self, activation: Any) -> Any:
        result = self.expr.eval(activation)
        if result.type() == cel.Type.ERROR:
            raise EngineError(f"{self.file}:{self.line}: {self.what}: CEL error {result.value()} in `{self.source}`")
        return result.plain_value()

    def boolean(self, activation: Any) -> bool:
        value = self.value(activation)
        if not isinstance(value, bool):
            raise EngineError(f"{self.file}:{self.line}: {self.what}: expected a bool, got {value!r}")
        return value

    def items(self, activation: Any) -> list[Any]:
        value = self.value(activation)
        if not isinstance(value, list):
            raise EngineError(f"{self.file}:{self.line}: {self.what}: expected a list, got {value!r}")
        return value
