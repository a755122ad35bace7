"""A .docx body as Markdown: headings from paragraph styles, lists, tables and block quotes.

Heading levels come from the style (or the style it is based on): Title and Heading 1 give `#`,
Heading 2 `##`, Heading 3 `###`; a paragraph with a direct outline level 0-2 counts too. Heading 4
and lower stay ordinary text, because the product format has only three heading levels. Quote and
Intense Quote paragraphs become block quotes (`> `), which the engine does not scan
(product-format.md §4). Text is read from the XML so that content controls, hyperlinks, fields and
tracked insertions are kept; tracked deletions are dropped (the text as it would read once changes
are accepted).
"""

import io
import re

import docx
from docx.text.paragraph import Paragraph

from rules.ingest import markdown
from rules.ingest.errors import IngestError
from rules.ingest.safety import check_docx_zip

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_SKIPPED = {_W + "del", _W + "moveFrom", _W + "pPr", _W + "rPr", _W + "instrText", _MC_FALLBACK}
_HEADING_STYLE = re.compile(r"^heading ([1-9])$")


def docx_to_markdown(data: bytes, filename: str, max_bytes: int) -> str:
    check_docx_zip(data, filename, max_bytes)
    try:
        document = docx.Document(io.BytesIO(data))
        blocks = _blocks(document.element.body, document._body)
    except IngestError:
        raise
    except Exception as exc:  # python-docx and lxml raise many types on damaged parts
        raise IngestError(f"{filename}: corrupt or unsupported .docx ({type(exc).__name__}: {exc})") from exc
    return markdown.join_blocks(blocks)


def _blocks(container, parent) -> list[list[str]]:
    blocks: list[list[str]] = []
    previous = ""
    for child in _content(container):
        if child.tag == _W + "tbl":
            previous = "table"
            rows = _table_rows(child)
            if any(cell.strip() for row in rows for cell in row):
                blocks.append(markdown.table(rows))
            continue
        text = _text(child)
        if not text.strip():
            continue
        kind, level = _paragraph_kind(Paragraph(child, parent))
        list_continues, previous = previous == "list" and kind == "list", kind
        if kind == "heading":
            blocks.append([markdown.heading(level, text)])
        elif kind == "quote":
            blocks.append(["> " + markdown.escape_line(line) for line in text.split("\n")])
        elif kind == "list":
            item = "  " * level + "- " + markdown.escape_inline(text)
            if list_continues:
                blocks[-1].append(item)
            else:
                blocks.append([item])
        else:
            lines = [markdown.escape_line(line) for line in text.split("\n")]
            blocks.append([line for line in lines if line])
    return blocks


def _content(container):
    """Paragraphs and tables in document order, looking inside block-level content controls."""
    for child in container:
        if child.tag in (_W + "p", _W + "tbl"):
            yield child
        elif child.tag in (_W + "sdt", _W + "customXml"):
            content = child.find(_W + "sdtContent") if child.tag == _W + "sdt" else child
            if content is not None:
                yield from _content(content)


def _paragraph_kind(paragraph: Paragraph) -> tuple[str, int]:
    outline = paragraph._p.find(f"{_W}pPr/{_W}outlineLvl")
    style = paragraph.style
    for _ in range(20):  # a based-on chain; bounded in case a file makes it circular
        if style is None:
            break
        name = (style.name or "").lower()
        if match := _HEADING_STYLE.match(name):
            level = int(match.group(1))
            return ("heading", level) if level <= 3 else ("text", 0)
        if name == "title":
            return "heading", 1
        if name in ("quote", "intense quote"):
            return "quote", 0
        if name.startswith(("list paragraph", "list bullet", "list number")):
            return "list", _list_level(paragraph)
        style = style.base_style
    if outline is not None and outline.get(_W + "val", "9").isdigit():
        level = int(outline.get(_W + "val")) + 1
        if level <= 3:
            return "heading", level
    if paragraph._p.find(f"{_W}pPr/{_W}numPr") is not None:
        return "list", _list_level(paragraph)
    return "text", 0


def _list_level(paragraph: Paragraph) -> int:
    ilvl = paragraph._p.find(f"{_W}pPr/{_W}numPr/{_W}ilvl")
    value = ilvl.get(_W + "val", "0") if ilvl is not None else "0"
    return min(int(value), 8) if value.isdigit() else 0


def _table_rows(tbl) -> list[list[str]]:
    rows = []
    for tr in tbl.iter(_W + "tr"):
        if tr.getparent() is not tbl:
            continue  # rows of nested tables are read as their cell's text
        row = []
        for tc in tr.findall(_W + "tc"):
            row.append(" ".join(_text(tc).split()))
            span = tc.find(f"{_W}tcPr/{_W}gridSpan")
            extra = int(span.get(_W + "val", "1")) - 1 if span is not None else 0
            row.extend([""] * max(0, min(extra, 63)))
        rows.append(row)
    return rows


def _text(element) -> str:
    parts: list[str] = []
    _walk(element, parts)
    return "".join(parts).strip("\n")


def _walk(element, parts: list[str]) -> None:
    for child in element:
        tag = child.tag
        if not isinstance(tag, str) or tag in _SKIPPED:
            continue
        if tag == _W + "t":
            parts.append(child.text or "")
        elif tag == _W + "tab":
            parts.append("\t")
        elif tag in (_W + "br", _W + "cr"):
            parts.append("\n")
        elif tag == _W + "noBreakHyphen":
            parts.append("-")
        elif tag == _W + "p":  # a paragraph nested in a text box or a table cell
            _walk(child, parts)
            parts.append("\n")
        else:
            _walk(child, parts)
