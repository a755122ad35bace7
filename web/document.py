"""A product version as the review page shows it: the front matter as a panel of labelled fields,
the body rendered from Markdown (sanitised) in blocks that carry their file line numbers, and each
finding tied to the block, section or field it is about, so the page can link and highlight it.

Line numbers are those of the file as checked (what `line:N` findings and the raw source view
count), so a reviewer, the rules and the team all point at the same line."""

import re
from dataclasses import dataclass, field
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

from rules.product import parse_product
from web.plain import humanise_name

_md = MarkdownIt("commonmark", {"html": True}).enable("table")
# What rendered product text may contain: structure and emphasis, no scripts, styles or forms.
_TAGS = {
    "p",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "li",
    "blockquote",
    "pre",
    "code",
    "em",
    "strong",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "hr",
    "br",
    "a",
    "del",
    "sup",
    "sub",
}

# A comment on a passage starts with this prefix in its text, so the audit trail reads the same.
COMMENT_ANCHOR = re.compile(r"^On line (\d+): ", re.DOTALL)


@dataclass
class Block:
    first: int  # file line numbers, inclusive
    last: int
    html: Markup
    findings: list[Any] = field(default_factory=list)
    comments: list[Any] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return f"L{self.first}"


@dataclass
class FieldRow:
    path: str
    label: str
    value: str
    line: int | None
    depth: int
    findings: list[Any] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return "F-" + re.sub(r"[^A-Za-z0-9_.-]", "-", self.path)


@dataclass
class DocumentView:
    raw_lines: list[str]
    fields: list[FieldRow]
    blocks: list[Block]
    rendered: bool  # False: the text did not parse (format error); the page shows the source
    targets: dict[int, str] = field(default_factory=dict)  # finding id -> anchor on the page
    unplaced_comments: list[Any] = field(default_factory=list)

    def block_for_line(self, line: int) -> Block | None:
        for block in self.blocks:
            if block.first <= line <= block.last:
                return block
        # A line between blocks (blank) belongs to the block that follows it.
        return next((b for b in self.blocks if b.first > line), None)


def _scalar(value: Any, names: dict[str, str]) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return "—"
    text = str(value)
    if text in names:
        return f"{names[text]} ({text})"
    return text


def _flatten(
    value: Any, path: str, depth: int, lines: dict[str, int], names: dict[str, str], out: list[FieldRow]
) -> None:
    label = humanise_name(re.split(r"[.]", path)[-1]) if path else ""
    if isinstance(value, dict):
        if path:
            out.append(FieldRow(path, label.capitalize(), "", lines.get(path), depth))
        for key, child in value.items():
            _flatten(child, f"{path}.{key}" if path else str(key), depth + (1 if path else 0), lines, names, out)
    elif isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
        out.append(FieldRow(path, label.capitalize(), "", lines.get(path), depth))
        for i, child in enumerate(value):
            _flatten(child, f"{path}[{i}]", depth + 1, lines, names, out)
    elif isinstance(value, list):
        out.append(
            FieldRow(
                path, label.capitalize(), ", ".join(_scalar(v, names) for v in value) or "—", lines.get(path), depth
            )
        )
    else:
        out.append(FieldRow(path, label.capitalize(), _scalar(value, names), lines.get(path), depth))


def _path_text(parts: tuple) -> str:
    text = ""
    for p in parts:
        text += f"[{p}]" if isinstance(p, int) else (f".{p}" if text else str(p))
    return text


def _render_blocks(body: str, first_line: int) -> list[Block]:
    tokens = _md.parse(body)
    blocks: list[Block] = []
    start = 0
    while start < len(tokens):
        token = tokens[start]
        # One top-level block: from its opening token to the token that closes it (nesting back to 0).
        end = start
        depth: int = token.nesting
        while depth > 0:
            end += 1
            depth += tokens[end].nesting
        chunk = tokens[start : end + 1]
        html = nh3.clean(
            _md.renderer.render(chunk, _md.options, {}),
            tags=_TAGS,
            attributes={"a": {"href", "title"}},
            url_schemes={"http", "https", "mailto"},
        )
        if token.map and html.strip():
            blocks.append(Block(first_line + token.map[0], first_line + token.map[1] - 1, Markup(html)))
        start = end + 1
    return blocks


def build(text: str, findings: list, comments: list, names: dict[str, str] | None = None) -> DocumentView:
    """The view of `text` (the checked text of a version) with `findings` and passage `comments` placed."""
    names = names or {}
    raw = text.split("\n")
    outcome = parse_product(text)
    product = outcome.product
    if product is None:
        view = DocumentView(raw, [], [], rendered=False)
    else:
        close = next(i for i in range(1, len(raw)) if raw[i].rstrip("\r") == "---")
        lines = {_path_text(k): v for k, v in product.field_lines.items() if k}
        rows: list[FieldRow] = []
        _flatten(product.fm, "", 0, lines, names, rows)
        view = DocumentView(raw, rows, _render_blocks("\n".join(raw[close + 1 :]), close + 2), rendered=True)
        sections = {key: product.body.file_line(s.heading.index) for key, s in product.body.sections.items()}
        for f in findings:
            _place(view, f, sections)
    for c in comments:
        m = COMMENT_ANCHOR.match(c.reason or "")
        block = view.block_for_line(int(m.group(1))) if m and view.rendered else None
        (block.comments if block else view.unplaced_comments).append(c)
    return view


def _place(view: DocumentView, f, sections: dict[str, int]) -> None:
    loc = f.location or ""
    block = None
    if loc.startswith("line:") and loc[5:].isdigit():
        block = view.block_for_line(int(loc[5:]))
    elif loc.startswith("section:") and loc[8:] in sections:
        block = view.block_for_line(sections[loc[8:]])
    if block is not None:
        block.findings.append(f)
        view.targets[f.id] = block.anchor
        return
    if loc.startswith("field:"):
        path = loc[6:]
        rows = [
            r for r in view.fields if r.path == path or r.path.startswith(path + ".") or r.path.startswith(path + "[")
        ]
        if rows:
            for r in rows:
                r.findings.append(f)
            view.targets[f.id] = rows[0].anchor
