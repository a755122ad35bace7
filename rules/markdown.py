"""The product body: HTML comments, fences, headings, sections and tables (format §3), and the text
views built from them (§5.2 body blocks, §5.3 trigger text). Lines are split on LF only."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from functools import cached_property

from rules.sections import key_for_heading
from rules.text import chars, normalise, word_count_of_lines

_FENCE_OPEN = re.compile(r"^ {0,3}(```|~~~)")
_DELIM_CELL = re.compile(r":?-{3,}:?")
_PUNCT = set(string.punctuation)
_BLANKS = " \t"
# The longest line a product may have (characters). The contract's regexes would backtrack for
# minutes on a long line; the parsers below are linear, and the cap keeps every line-at-a-time
# scan bounded anyway: ~3,000 words on one line is no product a person writes.
MAX_LINE_CHARS = 20_000


def match_heading(line: str) -> tuple[int, str] | None:
    r"""(level, text) when `line` is a heading, else None.

    Exactly what the contract's `^ {0,3}(#{1,3})[ \t]+(.+?)[ \t]*#*[ \t]*$` (format §3.1)
    matches, in one pass: that regex itself takes cubic time on `# a`, spaces, `b`."""
    indent = len(line) - len(line.lstrip(" "))
    if indent > 3:
        return None
    hashes = len(line) - indent - len(line[indent:].lstrip("#"))
    rest = line[indent + hashes :]
    if not 1 <= hashes <= 3 or not rest or rest[0] not in _BLANKS:
        return None
    start = len(rest) - len(rest.lstrip(_BLANKS))
    if start == len(rest):
        # Only blanks: the lazy text takes the last one, if one is left for `[ \t]+`.
        return (hashes, rest[-1]) if len(rest) >= 2 else None
    # The text ends where the longest `[ \t]*#*[ \t]*` tail begins (any suffix of such a tail
    # is one too), but holds at least one character.
    tail = rest.rstrip(_BLANKS)
    tail = tail.rstrip("#")
    tail = tail.rstrip(_BLANKS)
    return hashes, rest[start : max(len(tail), start + 1)]


def is_table_delimiter(line: str) -> bool:
    r"""Whether `line` matches `^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$`
    (format §3.5), in linear time (the regex is quadratic on a long run of spaces)."""
    cells = line.strip()  # str.strip() removes exactly the regex's \s
    if cells.startswith("|"):
        cells = cells[1:]
    if cells.endswith("|"):
        cells = cells[:-1]
    return all(_DELIM_CELL.fullmatch(cell.strip()) for cell in cells.split("|"))


def strip_comments(body: str) -> str:
    """Remove `<!-- ... -->` everywhere, keeping the line breaks they contained (format §3.1)."""
    out: list[str] = []
    pos = 0
    while True:
        start = body.find("<!--", pos)
        if start < 0:
            break
        end = body.find("-->", start + 4)
        if end < 0:  # an unclosed comment is ordinary text
            break
        out.append(body[pos:start])
        out.append("\n" * body.count("\n", start, end + 3))
        pos = end + 3
    out.append(body[pos:])
    return "".join(out)


def is_blank(line: str) -> bool:
    return not line or line.isspace()


def first_non_space(line: str) -> str:
    stripped = line.lstrip()  # str.lstrip() strips exactly the str.isspace() characters
    return stripped[:1]


@dataclass
class Heading:
    index: int  # 0-based body line index
    level: int
    text: str
    key: str | None


@dataclass
class Section:
    key: str
    heading: Heading
    start: int  # first own-text line index (after the heading)
    end: int  # exclusive
    words: int


@dataclass
class Block:
    start: int  # 0-based body line index of the first line
    lines: list[str]

    def unit(self) -> tuple[str, list[tuple[int, int]]]:
        """Normalised text and (offset, line index) of every line that contributes text."""
        pieces: list[str] = []
        starts: list[tuple[int, int]] = []
        offset = 0
        for i, line in enumerate(self.lines):
            piece = normalise(line)
            if not piece:
                continue
            if pieces:
                offset += 1
            starts.append((offset, self.start + i))
            pieces.append(piece)
            offset += len(piece)
        return " ".join(pieces), starts


@dataclass
class Body:
    lines: list[str]  # after comment removal
    first_line: int  # file line number of body line 0
    in_fence: list[bool] = field(default_factory=list)
    headings: list[Heading] = field(default_factory=list)
    sections: dict[str, Section] = field(default_factory=dict)

    def file_line(self, index: int) -> int:
        return self.first_line + index

    @cached_property
    def blocks(self) -> list[Block]:
        """Body blocks of the scanned text (format §5.2 item 4)."""
        heading_rows = {h.index for h in self.headings}
        blocks: list[Block] = []
        current: Block | None = None
        for i, line in enumerate(self.lines):
            dropped = self.in_fence[i] or first_non_space(line) == ">"
            if dropped or is_blank(line) or i in heading_rows:
                current = None
                if i in heading_rows:
                    blocks.append(Block(i, [line]))
                continue
            if current is None:
                current = Block(i, [])
                blocks.append(current)
            current.lines.append(line)
        return blocks

    def section_blocks(self, key: str) -> list[Block]:
        section = self.sections.get(key)
        if section is None:
            return []
        return [b for b in self.blocks if section.start <= b.start < section.end]

    def own_lines(self, key: str) -> list[str] | None:
        section = self.sections.get(key)
        return None if section is None else self.lines[section.start : section.end]

    def trigger_text(self) -> str:
        """format §5.3: own text of `facts` with everything kept, else the whole body."""
        lines = self.own_lines("facts")
        return normalise("\n".join(self.lines if lines is None else lines))

    def quoted_passages(self) -> list[tuple[str, int]]:
        """Contract v2 §1.7: (normalised text, file line of its first line) of each maximal run of
        block-quote lines outside fences."""
        passages: list[tuple[str, int]] = []
        run: list[str] = []
        start = 0
        for i, line in enumerate(self.lines + [""]):
            quoted = i < len(self.lines) and not self.in_fence[i] and first_non_space(line) == ">"
            if quoted:
                if not run:
                    start = i
                run.append(re.sub(r"^[\s>]*", "", line))
            elif run:
                passages.append((normalise("\n".join(run)), self.file_line(start)))
                run = []
        return passages

    def tables(self, key: str) -> list[str]:
        """Normalised texts of the tables in the own text of section `key` (format §3.5)."""
        lines = self.own_lines(key) or []
        found: list[str] = []
        i = 0
        while i < len(lines):
            if (
                first_non_space(lines[i]) == "|"
                and i + 2 < len(lines)
                and is_table_delimiter(lines[i + 1])
                and first_non_space(lines[i + 2]) == "|"
            ):
                j = i + 2
                while j < len(lines) and first_non_space(lines[j]) == "|":
                    j += 1
                found.append(normalise("\n".join(lines[i:j])))
                i = j
            else:
                i += 1
        return found


def heading_key_text(text: str) -> str:
    """Heading normalisation of format §3.2 (before table lookup)."""
    text = chars(text).strip()
    text = re.sub(r"^\d+(\.\d+)*[.)]?\s+", "", text)
    start, end = 0, len(text)
    while start < end and (text[start].isspace() or text[start] in _PUNCT):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in _PUNCT):
        end -= 1
    return re.sub(r"\s+", " ", text[start:end]).casefold()


def parse_body(body: str, first_line: int) -> Body:
    lines = strip_comments(body).split("\n")
    result = Body(lines=lines, first_line=first_line)
    fence: str | None = None
    for i, line in enumerate(lines):
        if fence is not None:
            result.in_fence.append(True)
            if line.lstrip().startswith(fence):
                fence = None
            continue
        opened = _FENCE_OPEN.match(line)
        if opened:
            fence = opened.group(1)
            result.in_fence.append(True)
            continue
        result.in_fence.append(False)
        heading = match_heading(line)
        if heading:
            level, text = heading
            result.headings.append(Heading(i, level, text, key_for_heading(heading_key_text(text))))
    heading_rows = {h.index for h in result.headings}
    for n, h in enumerate(result.headings):
        if h.key is None or h.key in result.sections:
            continue
        end = next((o.index for o in result.headings[n + 1 :] if o.level <= h.level), len(lines))
        own = (lines[k] for k in range(h.index + 1, end) if k not in heading_rows)
        result.sections[h.key] = Section(h.key, h, h.index + 1, end, word_count_of_lines(own))
    return result
