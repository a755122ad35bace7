"""A PDF body as Markdown. PDFs carry no headings, so they are inferred (limits: README.md here):

* the **body size** is the font size most characters are set in;
* a short line (at most 15 words) set at least 8% larger than the body size is a heading; the
  distinct heading sizes, largest first, give levels 1, 2, 3 (smaller ones are level 3); wrapped
  heading lines of the same size are merged;
* a short line at body size is a heading when it is bold, or numbered (`1.`, `2.3`, `4)`) and
  stands alone as a paragraph, and does not end like a sentence (`.`, `,`, `;`, `:`); its level is
  one below the font-size levels, plus one per numbering depth (`2.3` is one deeper than `2.`);
* paragraphs break where the gap between baselines is clearly wider than the usual line spacing;
  lines of a paragraph are joined, and a word hyphenated across a line break is rejoined;
* lines starting with a bullet (•, ◦, ▪, -, –) become `- ` list items; a bare page number at the top
  or bottom of a page is dropped.
"""

import io
import re
from collections import Counter

import pypdf

from rules.ingest import markdown
from rules.ingest.errors import IngestError
from rules.ingest.pdf_lines import Line, page_lines
from rules.ingest.safety import UNCOMPRESSED_FACTOR, require_kind

LARGER = 1.08
MAX_HEADING_WORDS = 15
MAX_BODY_HEADING_WORDS = 10
_NUMBERED = re.compile(r"^(\d+(?:\.\d+)*)[.)]?\s+(\S.*)$")
_BULLET = re.compile(r"^[•◦▪‣●○■□\-–—]\s+(\S.*)$")
_PAGE_NUMBER = re.compile(r"^(page\s+)?\d{1,4}(\s*(/|of)\s*\d{1,4})?$", re.IGNORECASE)
_SENTENCE_END = (".", ",", ";", ":")


def pdf_to_markdown(data: bytes, filename: str, max_bytes: int, max_pages: int) -> str:
    require_kind(data, filename, "pdf", "a PDF document")
    if b"%%EOF" not in data[-2048:]:
        raise IngestError(f"{filename}: truncated or corrupt PDF (no end-of-file marker)")
    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        encrypted = reader.is_encrypted
        pages = None if encrypted else len(reader.pages)
    except Exception as exc:  # pypdf raises many types on damaged files
        raise IngestError(f"{filename}: corrupt PDF ({type(exc).__name__}: {exc})") from exc
    if encrypted or pages is None:
        raise IngestError(
            f"{filename}: the PDF is encrypted (password or permission protection); submit an unprotected copy"
        )
    if pages > max_pages:
        raise IngestError(f"{filename}: the PDF has {pages} pages; the limit is {max_pages}")
    try:
        lines = _lines(reader, filename, max_bytes * UNCOMPRESSED_FACTOR)
    except IngestError:
        raise
    except Exception as exc:
        raise IngestError(f"{filename}: corrupt PDF, text extraction failed ({type(exc).__name__}: {exc})") from exc
    if not lines:
        raise IngestError(
            f"{filename}: the PDF contains no extractable text (a scanned image?); "
            f"submit the .docx or a PDF with a text layer"
        )
    return markdown.join_blocks(_blocks(lines))


def _lines(reader: pypdf.PdfReader, filename: str, budget: int) -> list[Line]:
    """All text lines, refusing a PDF whose page contents expand beyond the budget (pypdf bounds
    each stream, not their sum, and a small file can repeat a huge compressed stream)."""
    lines: list[Line] = []
    expanded = 0
    for number, page in enumerate(reader.pages):
        contents = page.get_contents()
        expanded += len(contents.get_data()) if contents is not None else 0
        if expanded > budget:
            raise IngestError(
                f"{filename}: refused as a possible decompression bomb: the page contents expand "
                f"beyond {budget // (1024 * 1024)} MB"
            )
        lines.extend(_page(page, number))
    return lines


def _page(page: pypdf.PageObject, number: int) -> list[Line]:
    lines = page_lines(page, number)
    for edge in (-1, 0):
        if lines and _PAGE_NUMBER.match(lines[edge].text.strip()):
            lines.pop(edge)
    return lines


def _blocks(lines: list[Line]) -> list[list[str]]:
    body_size = _body_size(lines)
    breaks = _paragraph_breaks(lines)
    levels = _heading_levels(lines, body_size, breaks)
    blocks: list[list[str]] = []
    parts: list[str] = []  # lines of the paragraph or list item being built
    item = False

    def flush() -> None:
        nonlocal parts
        if not parts:
            return
        text = _join(parts)
        if item:
            line = "- " + markdown.escape_inline(text)
            if blocks and blocks[-1][-1].startswith("- "):
                blocks[-1].append(line)
            else:
                blocks.append([line])
        else:
            blocks.append([markdown.escape_line(text)])
        parts = []

    index = 0
    while index < len(lines):
        text = lines[index].text.strip()
        if levels[index]:
            flush()
            wrapped = [text]
            while _continues_heading(lines, levels, breaks, index):
                index += 1
                wrapped.append(lines[index].text.strip())
            blocks.append([markdown.heading(levels[index], _join(wrapped))])
        elif bullet := _BULLET.match(text):
            flush()
            item, parts = True, [bullet.group(1)]
        elif breaks[index] or _NUMBERED.match(text) or not parts:
            flush()
            item, parts = False, [text]
        else:
            parts.append(text)
        index += 1
    flush()
    return blocks


def _body_size(lines: list[Line]) -> float:
    counts: Counter[float] = Counter()
    for line in lines:
        counts.update(line.size_chars)
    return counts.most_common(1)[0][0] if counts else 0.0


def _paragraph_breaks(lines: list[Line]) -> list[bool]:
    """breaks[i]: a paragraph ends before line i. The usual line spacing is the lower quartile of
    the gaps between baselines on a page; a gap 30% wider, or wider than 1.8 times the font size
    (for documents made of one-line paragraphs), a jump back up (new column), or a page turn after
    a sentence, ends the paragraph."""
    gaps = sorted(
        prev.y - line.y
        for prev, line in zip(lines, lines[1:], strict=False)
        if prev.page == line.page and prev.y is not None and line.y is not None and prev.y > line.y
    )
    usual = gaps[len(gaps) // 4] if gaps else None
    breaks = [True]
    for prev, line in zip(lines, lines[1:], strict=False):
        if prev.page != line.page:
            breaks.append(prev.text.rstrip().endswith((".", "!", "?", ":")))
        elif prev.y is None or line.y is None or usual is None:
            breaks.append(False)
        else:
            gap = prev.y - line.y
            breaks.append(gap <= 0 or gap > usual * 1.3 or gap > 1.8 * max(prev.size, line.size))
    return breaks + [True]  # one extra entry: a break after the last line


def _heading_levels(lines: list[Line], body_size: float, breaks: list[bool]) -> list[int]:
    large = sorted(
        {line.size for line in lines if _is_large(line, body_size) and _short(line, MAX_HEADING_WORDS)},
        reverse=True,
    )
    levels = []
    for index, line in enumerate(lines):
        text = line.text.strip()
        if _is_large(line, body_size) and _short(line, MAX_HEADING_WORDS):
            levels.append(min(3, large.index(line.size) + 1))
            continue
        numbered = _NUMBERED.match(text)
        alone = breaks[index] and breaks[index + 1]
        if (
            _short(line, MAX_BODY_HEADING_WORDS)
            and not text.endswith(_SENTENCE_END)
            and (line.bold or (numbered and alone and numbered.group(2)[:1].isupper()))
        ):
            depth = numbered.group(1).count(".") + 1 if numbered else 1
            levels.append(min(3, len(large) + depth))
        else:
            levels.append(0)
    return levels


def _continues_heading(lines: list[Line], levels: list[int], breaks: list[bool], index: int) -> bool:
    following = index + 1
    return (
        following < len(lines)
        and levels[following] == levels[index]
        and not breaks[following]
        and lines[following].size == lines[index].size
        and not _NUMBERED.match(lines[following].text.strip())
    )


def _is_large(line: Line, body_size: float) -> bool:
    return body_size > 0 and line.size >= body_size * LARGER


def _short(line: Line, max_words: int) -> bool:
    words = line.text.split()
    return 0 < len(words) <= max_words and any(c.isalpha() for c in line.text)


def _join(parts: list[str]) -> str:
    """Join a paragraph's lines, rejoining words hyphenated across a line break."""
    text = parts[0]
    for part in parts[1:]:
        if (
            text.endswith("\u00ad")
            or len(text) > 1
            and text.endswith("-")
            and text[-2].isalpha()
            and part[:1].islower()
        ):
            text = text[:-1] + part
        else:
            text = text + " " + part
    return text
