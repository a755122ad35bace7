"""Two versions side by side: numbered lines, changed lines paired, and within a changed pair the
words that differ marked (<del> on the left, <ins> on the right). Unchanged stretches fold to a
few lines of context around each change, as a reviewer reads a pull request."""

import difflib
import re
from dataclasses import dataclass, field

from markupsafe import Markup, escape

CONTEXT = 3
_WORDS = re.compile(r"\s+|\w+|[^\w\s]")


@dataclass
class Row:
    kind: str  # same | change | add | del | hunk
    old_no: int | None = None
    old: Markup = field(default_factory=Markup)
    new_no: int | None = None
    new: Markup = field(default_factory=Markup)


def _words(old: str, new: str) -> tuple[Markup, Markup]:
    a, b = _WORDS.findall(old), _WORDS.findall(new)
    left, right = [], []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        old_part, new_part = escape("".join(a[i1:i2])), escape("".join(b[j1:j2]))
        if op == "equal":
            left.append(old_part)
            right.append(new_part)
            continue
        if i2 > i1:
            left.append(Markup("<del>") + old_part + Markup("</del>"))
        if j2 > j1:
            right.append(Markup("<ins>") + new_part + Markup("</ins>"))
    return Markup("").join(left), Markup("").join(right)


def rows(old_text: str, new_text: str) -> list[Row]:
    a, b = old_text.split("\n"), new_text.split("\n")
    out: list[Row] = []
    for group in difflib.SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(CONTEXT):
        first = group[0]
        out.append(
            Row(
                "hunk",
                old=Markup(
                    f"Lines {first[1] + 1}–{group[-1][2]} of the old version, {first[3] + 1}–{group[-1][4]} of the new"
                ),
            )
        )
        for op, i1, i2, j1, j2 in group:
            if op == "equal":
                out.extend(
                    Row("same", i + 1, escape(a[i]), j + 1, escape(b[j]))
                    for i, j in zip(range(i1, i2), range(j1, j2), strict=False)
                )
            elif op == "delete":
                out.extend(Row("del", i + 1, escape(a[i])) for i in range(i1, i2))
            elif op == "insert":
                out.extend(Row("add", new_no=j + 1, new=escape(b[j])) for j in range(j1, j2))
            else:  # replace: pair the lines, word by word; the longer side's rest stands alone
                for k in range(max(i2 - i1, j2 - j1)):
                    i, j = i1 + k, j1 + k
                    if i < i2 and j < j2:
                        left, right = _words(a[i], b[j])
                        out.append(Row("change", i + 1, left, j + 1, right))
                    elif i < i2:
                        out.append(Row("del", i + 1, escape(a[i])))
                    else:
                        out.append(Row("add", new_no=j + 1, new=escape(b[j])))
    return out
