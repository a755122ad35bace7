"""Malformed uploads are refused through the one submit action the CLI and the web app share, with a
message that names the file and the problem, and nothing reaches the database.

`submit` is given a Temporal stand-in that fails loudly if it is ever reached: a refused file must be
stopped before any product row is written and before any workflow starts. The control case (a valid
product) shows the same harness does see rows being written."""

import io
import uuid
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from fpdf import FPDF

from service.demo import import_demo_roster
from service.errors import ServiceError
from service.reviews import submit
from settings import Settings
from store.db import make_engine
from tests.dbutil import fresh_database

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SAMPLE = (PROJECT_ROOT / "demo" / "products" / "S1-IP-heron.md").read_text(encoding="utf-8")
TABLES = ("product", "product_version", "review", "finding", "audit_event", "notification")
MAX_BYTES = 512 * 1024


class TemporalReached(Exception):
    pass


class NoTemporal:
    async def start_workflow(self, *args, **kwargs):
        raise TemporalReached("the refused upload reached Temporal")


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    with fresh_database("sqlite", tmp_path_factory.mktemp("uploads")) as url:
        engine = make_engine(url)
        import_demo_roster(engine)
        yield engine
        engine.dispose()


def _counts(engine) -> dict[str, int]:
    with engine.connect() as c:
        return {t: c.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar() for t in TABLES}


def _product_text() -> tuple[str, str, str]:
    """(new product id, front matter YAML, body) of the demo sample under a fresh id."""
    product_id = f"IP-HERON-SEC-{uuid.uuid4().hex[:6].upper()}"
    _, front, body = SAMPLE.split("---\n", 2)
    return product_id, front.replace("IP-HERON-2025-02", product_id), body


async def _submit(engine, tmp_path: Path, name: str, data: bytes, *, meta: bool = True):
    _, front, _ = _product_text()
    path = tmp_path / name
    path.write_bytes(data)
    meta_path = None
    if meta:
        meta_path = tmp_path / "meta.yaml"
        meta_path.write_text(front, encoding="utf-8")
    settings = Settings(database_url=str(engine.url), var_dir=tmp_path, max_upload_bytes=MAX_BYTES)
    return await submit(
        db_engine=engine,
        client=NoTemporal(),
        settings=settings,
        path=path,
        actor_id="HE-01",
        meta_path=meta_path,
        wait_seconds=0,
    )


def _docx(document_xml: bytes, *, extra: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b'<?xml version="1.0"?><Types/>')
        archive.writestr("word/document.xml", document_xml)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _zip_bomb() -> bytes:
    """A .docx whose document.xml inflates to 64 MB of zeros from about 64 KB."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as entry:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(64):
                entry.write(chunk)
    return buffer.getvalue()


def _pdf() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(text="Investigation plan: Lake Istra abductions")
    return bytes(pdf.output())


CASES = {
    # name, bytes, expected words in the message
    "corrupt docx": ("plan.docx", b"PK\x03\x04" + bytes(range(256)) * 20, "corrupt .docx"),
    "docx that is a plain zip": (
        "plan.docx",
        _docx(b"<x/>", extra={}).replace(b"word/document.xml", b"word/documenx.xml"),
        "not a Word .docx",
    ),
    "damaged docx xml": ("plan.docx", _docx(b"<w:document><unclosed>"), "corrupt or unsupported .docx"),
    "corrupt pdf": ("plan.pdf", b"%PDF-1.7\n" + bytes(range(256)) * 20 + b"\n%%EOF", ".pdf"),
    "zip bomb": ("plan.docx", _zip_bomb(), "ZIP bomb"),
    "huge file": ("plan.pdf", b"%PDF-1.7\n" + b"0" * (MAX_BYTES + 1), "too large"),
    "pdf renamed .docx": ("plan.docx", _pdf(), "the content is a PDF file"),
    "docx renamed .md": ("plan.md", _docx(b"<w:document/>"), "not a Markdown text file"),
    "non-utf8 markdown": ("plan.md", None, "not valid UTF-8"),
    "legacy .doc": ("plan.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "legacy Word .doc"),
    "executable with .md name": ("plan.md", b"MZ\x90\x00" + b"\x00\x01" * 200, "plan.md"),
}


@pytest.mark.parametrize("case", CASES)
async def test_a_malformed_upload_is_refused_and_nothing_is_stored(case, database, tmp_path):
    name, data, expected = CASES[case]
    meta = not name.endswith(".md")
    if data is None:  # a Markdown product saved as Latin-1
        product_id, front, body = _product_text()
        data = ("---\n" + front + "---\n" + body).encode() + "\nTémoin déplacé à Velmora.\n".encode("latin-1")
    before = _counts(database)
    with pytest.raises(ServiceError) as caught:
        await _submit(database, tmp_path, name, data, meta=meta)
    message = caught.value.message
    assert name in message, message  # the refusal names the file
    assert expected in message, message
    assert _counts(database) == before


async def test_a_huge_sparse_file_is_refused_without_being_read(database, tmp_path):
    path = tmp_path / "plan.md"
    with path.open("wb") as handle:
        handle.truncate(8 * 1024 * 1024 * 1024)  # 8 GB on paper, nothing on disk
    before = _counts(database)
    settings = Settings(database_url=str(database.url), var_dir=tmp_path)  # the default 25 MB limit
    with pytest.raises(ServiceError, match=r"plan\.md: file is too large \(8192\.0 MB\); the limit is 25\.0 MB"):
        await submit(db_engine=database, client=NoTemporal(), settings=settings, path=path, actor_id="HE-01")
    assert _counts(database) == before


async def test_a_format_error_in_a_well_formed_file_is_refused_too(database, tmp_path):
    product_id, front, body = _product_text()
    broken = front.replace("  type: IP\n", "  type: NOT-A-TYPE\n")
    before = _counts(database)
    with pytest.raises(ServiceError, match="format error, nothing was stored"):
        await _submit(database, tmp_path, "plan.md", ("---\n" + broken + "---\n" + body).encode(), meta=False)
    assert _counts(database) == before


async def test_control_a_valid_product_is_stored_before_its_workflow_starts(database, tmp_path):
    product_id, front, body = _product_text()
    before = _counts(database)
    with pytest.raises(TemporalReached):
        await _submit(database, tmp_path, "plan.md", ("---\n" + front + "---\n" + body).encode(), meta=False)
    after = _counts(database)
    assert after["product"] == before["product"] + 1
    assert after["product_version"] == before["product_version"] + 1
