"""Writing extracted text as Markdown that the product parser reads exactly as the author wrote it.

Text taken from a document must never turn into structure by accident: a paragraph that starts
with `#` would become a heading, `>` a block quote and a fence a code block (both excluded from the
scanned text, product-format.md §4-§5), `|` a table row, and `<!--` would hide everything up to the
next `-->`. Such lines get a backslash, which keeps the words scannable.
"""

import re

_STRUCTURAL_START = re.compile(r"^(#|>|\||```|~~~)")


def escape_line(line: str) -> str:
    """One line of ordinary text, with leading indentation dropped (it is layout, not text)."""
    line = line.strip().replace("<!--", "<\\!--")
    if _STRUCTURAL_START.match(line):
        line = "\\" + line
    return line


def escape_inline(text: str) -> str:
    """Text that sits inside a heading or a table cell: one line, no comment opener."""
    return " ".join(text.split()).replace("<!--", "<\\!--")


def heading(level: int, text: str) -> str:
    return "#" * level + " " + escape_inline(text)


def table(rows: list[list[str]]) -> list[str]:
    """A Markdown table (product-format.md §3.5): first row is the header, then the delimiter."""
    width = max(len(row) for row in rows)
    lines = []
    for index, row in enumerate(rows):
        cells = [_cell(text) for text in row] + [""] * (width - len(row))
        lines.append("| " + " | ".join(cells) + " |")
        if index == 0:
            lines.append("|" + "|".join([" --- "] * width) + "|")
    return lines


def _cell(text: str) -> str:
    return escape_inline(text).replace("|", "\\|")


def join_blocks(blocks: list[list[str]]) -> str:
    """Blocks of lines separated by one blank line, ending with a newline."""
    body = "\n\n".join("\n".join(block) for block in blocks if block)
    return body + "\n" if body else ""
