"""Uploaded products: staged to a private temporary folder so the service layer reads them exactly
as the CLI reads files (same ingestion, same messages), then removed.

A .docx/.pdf (or a .md without front matter) takes its front matter from the meta form: the
structural `product` fields of product-format.md §2.1, plus any further front-matter groups
(witnesses, interview, consent, ...) as YAML text.
"""

import json
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from fastapi import UploadFile
from pydantic import BaseModel

from service.errors import ServiceError

ALLOWED_SUFFIXES = (".md", ".docx", ".pdf")
_CHUNK = 1024 * 1024


class MetaForm(BaseModel):
    """product-format.md §2.1; empty strings are left out, so the engine reports what is missing."""

    id: str = ""
    type: str = ""
    title: str = ""
    team: str = ""
    situation: str = ""
    version: str = ""
    author: str = ""
    submitted_on: str = ""
    audience: str = ""
    stage: str = ""
    extra_yaml: str = ""

    def is_empty(self) -> bool:
        return not any(str(v).strip() for v in self.model_dump().values())

    def to_yaml(self) -> str:
        lines = ["product:"]
        for key in (
            "id",
            "type",
            "title",
            "team",
            "situation",
            "version",
            "author",
            "submitted_on",
            "audience",
            "stage",
        ):
            value = getattr(self, key).strip()
            if value:
                # A JSON string is a YAML 1.2 double-quoted scalar: no value can inject YAML.
                lines.append(f"  {key}: {json.dumps(value, ensure_ascii=False)}")
        extra = self.extra_yaml.replace("\r\n", "\n").strip("\n")
        if extra:
            lines.append(extra)
        return "\n".join(lines) + "\n"


@dataclass
class StagedUpload:
    path: Path
    meta_path: Path | None
    folder: Path

    def scrub(self, message: str) -> str:
        """Error messages name the uploaded file, not the private folder it was staged in."""
        return message.replace(f"{self.folder}/", "")


def _safe_name(filename: str | None) -> str:
    name = Path((filename or "").replace("\\", "/")).name
    name = re.sub(r"[^A-Za-z0-9._ -]", "_", name).strip(" .") or "upload"
    return name[:120]


@contextmanager
def _folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="gcu-upload-") as folder:
        yield Path(folder)


@contextmanager
def staged(data: bytes, filename: str | None, meta: MetaForm | None) -> Iterator[StagedUpload]:
    name = _safe_name(filename)
    suffix = Path(name).suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        raise ServiceError(
            f"{name}: unsupported file type {suffix or '(no extension)'!r}; a product is a .md file, "
            "or a .docx or .pdf with the structured fields filled in"
        )
    with _folder() as folder:
        path = folder / name
        path.write_bytes(data)
        meta_path = None
        if meta is not None and not meta.is_empty():
            meta_path = folder / "meta.yaml"
            meta_path.write_text(meta.to_yaml(), encoding="utf-8")
        elif suffix in (".docx", ".pdf"):
            raise ServiceError(f"{name}: a {suffix} document has no front matter; fill in the structured fields")
        yield StagedUpload(path=path, meta_path=meta_path, folder=folder)


async def read_limited(upload: UploadFile, max_bytes: int) -> bytes:
    """The whole upload, refusing it as soon as it passes the size limit (not after reading it all)."""
    chunks, total = [], 0
    while chunk := await upload.read(_CHUNK):
        total += len(chunk)
        if total > max_bytes:
            raise ServiceError(
                f"{_safe_name(upload.filename)}: the file is larger than the limit of {max_bytes // (1024 * 1024)} MiB"
            )
        chunks.append(chunk)
    if total == 0:
        raise ServiceError(f"{_safe_name(upload.filename)}: the file is empty")
    return b"".join(chunks)
