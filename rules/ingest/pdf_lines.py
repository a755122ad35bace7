"""Text lines of a PDF with the font size, weight and position each was set in (pypdf visitor)."""

import math
from dataclasses import dataclass, field

import pypdf

_BOLD_MARKERS = ("bold", "black", "heavy", "semibold", "demi")


@dataclass
class Line:
    page: int
    text: str = ""
    y: float | None = None  # baseline in page space; None when the PDF gave no position
    size_chars: dict[float, int] = field(default_factory=dict)  # font size -> characters set in it
    bold_chars: int = 0

    @property
    def size(self) -> float:
        """The size most of the line's characters are set in."""
        return max(self.size_chars, key=lambda size: self.size_chars[size]) if self.size_chars else 0.0

    @property
    def bold(self) -> bool:
        letters = sum(self.size_chars.values())
        return letters > 0 and self.bold_chars * 2 > letters


def page_lines(page: pypdf.PageObject, page_number: int) -> list[Line]:
    lines = [Line(page_number)]

    def visit(text, cm, tm, font_dict, font_size):
        if not text:
            return
        chunks = text.split("\n")
        for index, chunk in enumerate(chunks):
            if index:
                lines.append(Line(page_number))
            _add(lines[-1], chunk, cm, tm, font_dict, font_size)

    page.extract_text(visitor_text=visit)
    return [line for line in lines if line.text.strip()]


def _add(line: Line, chunk: str, cm, tm, font_dict, font_size) -> None:
    if not chunk:
        return
    line.text += chunk
    visible = sum(1 for c in chunk if not c.isspace())
    if not visible:
        return
    scale = math.hypot(tm[2], tm[3]) * math.hypot(cm[2], cm[3])
    size = round((font_size or 0) * (scale or 1) * 2) / 2  # half-point bins absorb rounding noise
    line.size_chars[size] = line.size_chars.get(size, 0) + visible
    base_font = str((font_dict or {}).get("/BaseFont", "")).lower()
    if any(marker in base_font for marker in _BOLD_MARKERS):
        line.bold_chars += visible
    if line.y is None:
        line.y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
