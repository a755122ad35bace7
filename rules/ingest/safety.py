"""Checks that run on raw bytes before any parser sees them.

A document must be refused as a whole, never read in part, so every limit is checked up front:
size, the real type behind the extension, and for .docx the ZIP directory (entry count, declared
uncompressed sizes, compression ratios) before python-docx decompresses anything. `zipfile` stops
decompressing an entry at its declared size and then fails its CRC check, so a ZIP that lies about
its sizes cannot inflate beyond what we checked here.
"""

import io
import zipfile

from rules.ingest.errors import IngestError

DEFAULT_MAX_BYTES = 25 * 1024 * 1024
DEFAULT_MAX_PAGES = 500
MAX_ZIP_ENTRIES = 2000
UNCOMPRESSED_FACTOR = 4  # total uncompressed size may be at most this times max_bytes
MAX_RATIO = 100  # compression ratio allowed for any entry bigger than RATIO_CHECK_FROM
RATIO_CHECK_FROM = 1024 * 1024

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def check_size(size: int, max_bytes: int, filename: str) -> None:
    if size > max_bytes:
        raise IngestError(f"{filename}: file is too large ({_mb(size)}); the limit is {_mb(max_bytes)}")


def sniff(data: bytes) -> str:
    """What the bytes really are: pdf, zip, ole, empty, text or binary."""
    if not data:
        return "empty"
    if b"%PDF-" in data[:1024]:
        return "pdf"
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if data.startswith(_OLE_MAGIC):
        return "ole"
    if b"\x00" in data[:8192]:
        return "binary"
    return "text"


_KIND_NAMES = {
    "pdf": "a PDF file",
    "zip": "a ZIP archive",
    "ole": "an OLE compound file (a legacy .doc/.xls or a password-protected Office document)",
    "empty": "empty",
    "text": "plain text",
    "binary": "binary data of an unknown type",
}


def describe(kind: str) -> str:
    return _KIND_NAMES[kind]


def require_kind(data: bytes, filename: str, expected: str, what: str) -> None:
    """Refuse a file whose content is not `expected` whatever its extension says."""
    kind = sniff(data)
    if kind != expected:
        raise IngestError(
            f"{filename}: not {what}: the content is {describe(kind)}, "
            f"so the extension is misleading or the file is damaged"
        )


def check_docx_zip(data: bytes, filename: str, max_bytes: int) -> None:
    """Refuse a .docx whose ZIP container is not a Word document or could exhaust memory."""
    require_kind(data, filename, "zip", "a Word .docx document")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        raise IngestError(f"{filename}: corrupt .docx (unreadable ZIP container: {exc})") from exc
    if len(entries) > MAX_ZIP_ENTRIES:
        raise IngestError(
            f"{filename}: refused as a possible ZIP bomb: {len(entries)} entries "
            f"(a .docx has far fewer; the limit is {MAX_ZIP_ENTRIES})"
        )
    total = sum(entry.file_size for entry in entries)
    if total > max_bytes * UNCOMPRESSED_FACTOR:
        raise IngestError(
            f"{filename}: refused as a possible ZIP bomb: it would expand to {_mb(total)} "
            f"(limit {_mb(max_bytes * UNCOMPRESSED_FACTOR)})"
        )
    for entry in entries:
        if entry.file_size > RATIO_CHECK_FROM:
            ratio = entry.file_size / max(entry.compress_size, 1)
            if ratio > MAX_RATIO:
                raise IngestError(
                    f"{filename}: refused as a possible ZIP bomb: entry {entry.filename!r} "
                    f"expands {ratio:.0f} times ({_mb(entry.file_size)}; limit ratio {MAX_RATIO})"
                )
    names = {entry.filename for entry in entries}
    if "word/document.xml" not in names or "[Content_Types].xml" not in names:
        raise IngestError(
            f"{filename}: not a Word .docx document: the ZIP archive has no word/document.xml "
            f"(another Office format or a plain archive?)"
        )


def _mb(size: int) -> str:
    if size < 1024 * 1024:
        return f"{size} bytes"
    return f"{size / (1024 * 1024):.1f} MB"
