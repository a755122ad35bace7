"""A summary's HTML (Jinja2, summaries/templates/summary.html) and PDF (fpdf2 write_html over a
simpler template): pure Python, no browser, so it works on any machine that has the wheels.

The PDF uses DejaVu Sans when the system has it (any script); otherwise the PDF core font
Helvetica, whose Latin-1 range cannot show every name, so other characters become "?"."""

from datetime import datetime
from pathlib import Path

from fpdf import FPDF
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from store.kpi.result import kpi_name
from summaries.data import SummaryData

BREAKDOWN_NAMES = {"team": "team", "situation": "situation", "vulnerability_category": "vulnerability category"}
TEMPLATES = Path(__file__).resolve().parent / "templates"
FONT_DIRS = [Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"), Path("/usr/local/share/fonts")]


def _find_dejavu() -> tuple[Path, Path, Path] | None:
    for folder in FONT_DIRS:
        regular, bold, oblique = (folder / f"DejaVuSans{s}.ttf" for s in ("", "-Bold", "-Oblique"))
        if regular.exists() and bold.exists() and oblique.exists():
            return regular, bold, oblique
    return None


class SummaryRenderer:
    def __init__(self, base_url: str = "", env: Environment | None = None):
        self.base_url = base_url.rstrip("/")
        self.env = env or Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=select_autoescape(["html"]),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters.setdefault("kpi_name", kpi_name)  # "10" -> "KPI 10", "SPU" -> "SPU indicator"
        self.env.globals.setdefault("BREAKDOWN_NAMES", BREAKDOWN_NAMES)
        self.fonts = _find_dejavu()

    def _context(self, data: SummaryData, generated_at: datetime) -> dict:
        name = data.deputy_prosecutor_name
        label = f"{name} ({data.deputy_prosecutor_id})" if name else data.deputy_prosecutor_id
        return dict(d=data, dp_label=label, generated_at=generated_at, base_url=self.base_url)

    def html(self, data: SummaryData, generated_at: datetime) -> str:
        return self.env.get_template("summary.html").render(**self._context(data, generated_at))

    def pdf(self, data: SummaryData, generated_at: datetime) -> bytes:
        markup = self.env.get_template("summary_pdf.html").render(**self._context(data, generated_at))
        pdf = FPDF(format="A4")
        pdf.set_title(f"Compliance summary {data.deputy_prosecutor_id} {data.period.start} to {data.period.end}")
        pdf.set_author("GCU review")
        pdf.set_creation_date(generated_at)
        pdf.set_margins(15, 15, 15)
        pdf.set_auto_page_break(True, margin=15)
        if self.fonts:
            regular, bold, oblique = self.fonts
            pdf.add_font("DejaVu", "", str(regular))
            pdf.add_font("DejaVu", "B", str(bold))
            pdf.add_font("DejaVu", "I", str(oblique))
            family = "DejaVu"
        else:
            family = "Helvetica"
            markup = markup.encode("latin-1", "replace").decode("latin-1")
        pdf.add_page()
        pdf.set_font(family, size=10)
        pdf.write_html(markup, font_family=family)
        return bytes(pdf.output())
