"""Ingestion: turn a submitted file into product source text (front matter + Markdown body).

A .md product is read as it is. A .docx or .pdf carries no front matter, so it comes with a meta
YAML file; its body is extracted to Markdown (`docx_body`, `pdf_body`). Every refusal is an
`IngestError` naming the file and the problem, raised before any text is returned: a file is
read whole or not at all.
"""

from pathlib import Path

from rules.ingest.docx_body import docx_to_markdown
from rules.ingest.errors import IngestError
from rules.ingest.meta import load_meta
from rules.ingest.pdf_body import pdf_to_markdown
from rules.ingest.safety import DEFAULT_MAX_BYTES, DEFAULT_MAX_PAGES, check_size, describe, sniff
from rules.ingest.text import decode_utf8, read_bytes

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_PAGES",
    "IngestError",
    "document_to_markdown",
    "load_product_source",
]

DOCUMENT_SUFFIXES = (".docx", ".pdf")


def load_product_source(
    path: Path,
    meta_path: Path | None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    *,
    max_pages: int = DEFAULT_MAX_PAGES,
) -> str:
    """The product text the parser reads: a .md file's own text, or `---`, the meta YAML, `---`
    and the Markdown extracted from a .docx/.pdf. A .md without front matter may take its front
    matter from `meta_path` the same way; a .md with front matter and a meta file is refused."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".md":
        text = _markdown_file(path, max_bytes)
        if meta_path is None:
            return text
        if text.split("\n", 1)[0].rstrip("\r") == "---":
            raise IngestError(
                f"{path}: a .md product carries its own front matter, so --meta {meta_path} "
                f"cannot be used with it; drop --meta or remove the front matter"
            )
        return _with_front_matter(load_meta(Path(meta_path)), text)
    if suffix in DOCUMENT_SUFFIXES:
        if meta_path is None:
            raise IngestError(f"{path}: a {suffix} document has no front matter; give it with --meta META.yaml")
        meta = load_meta(Path(meta_path))
        body = document_to_markdown(read_bytes(path, max_bytes), str(path), max_bytes, max_pages=max_pages)
        return _with_front_matter(meta, body)
    raise IngestError(_unsupported(path))


def document_to_markdown(
    data: bytes,
    filename: str,
    max_bytes: int = DEFAULT_MAX_BYTES,
    *,
    max_pages: int = DEFAULT_MAX_PAGES,
) -> str:
    """The Markdown body of a .docx or .pdf given as bytes; `filename` picks the type and names
    the file in errors, and the content must match it."""
    check_size(len(data), max_bytes, filename)
    suffix = Path(filename).suffix.lower()
    if suffix == ".docx":
        return docx_to_markdown(data, filename, max_bytes)
    if suffix == ".pdf":
        return pdf_to_markdown(data, filename, max_bytes, max_pages)
    raise IngestError(_unsupported(Path(filename)))


def _markdown_file(path: Path, max_bytes: int) -> str:
    data = read_bytes(path, max_bytes)
    kind = sniff(data)
    if kind in ("pdf", "zip", "ole"):  # NUL bytes alone are valid UTF-8: left to the parser
        raise IngestError(f"{path}: not a Markdown text file: the content is {describe(kind)}")
    return decode_utf8(data, str(path))


def _with_front_matter(meta: str, body: str) -> str:
    return "---\n" + meta + "---\n" + body


def _unsupported(path: Path) -> str:
    if path.suffix.lower() == ".doc":
        return f"{path}: legacy Word .doc files are not supported; save the document as .docx"
    return (
        f"{path}: unsupported file type {path.suffix or '(no extension)'!r}; "
        f"a product is a .md file, or a .docx or .pdf with --meta"
    )
