"""Uploaded products: staged to a private temporary folder so the service layer reads them exactly
as the CLI reads files (same ingestion, same messages), then removed.

The upload is copied there in chunks of _CHUNK bytes, refused as soon as it passes the size limit:
the web process never holds more than a chunk of it (the framework has already spooled it to a
temporary file), where joining it in memory and writing it out again cost twice the file.

A .docx/.pdf (or a .md without front matter) takes its front matter from the meta form: the
structural `product` fields of product-format.md §2.1, plus any further front-matter groups
(witnesses, interview, consent, ...) as YAML text.
"""

import json
import re
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path

from fastapi import UploadFile
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

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


def _checked_name(filename: str | None, meta: "MetaForm | None") -> str:
    name = _safe_name(filename)
    suffix = Path(name).suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        raise ServiceError(
            f"{name}: unsupported file type {suffix or '(no extension)'!r}; a product is a .md file, "
            "or a .docx or .pdf with the structured fields filled in"
        )
    if suffix in (".docx", ".pdf") and (meta is None or meta.is_empty()):
        raise ServiceError(f"{name}: a {suffix} document has no front matter; fill in the structured fields")
    return name


async def _copy_limited(upload: UploadFile, path: Path, name: str, max_bytes: int) -> None:
    """Copies the upload chunk by chunk, refusing it as soon as it passes the size limit (not after
    reading it all)."""
    await upload.seek(0)
    total = 0
    with path.open("wb") as out:
        while chunk := await upload.read(_CHUNK):
            total += len(chunk)
            if total > max_bytes:
                raise ServiceError(f"{name}: the file is larger than the limit of {max_bytes // (1024 * 1024)} MiB")
            await run_in_threadpool(out.write, chunk)
    if total == 0:
        raise ServiceError(f"{name}: the file is empty")


@asynccontextmanager
async def staged(upload: UploadFile, max_bytes: int, meta: MetaForm | None) -> AsyncIterator[StagedUpload]:
    name = _checked_name(upload.filename, meta)
    with _folder() as folder:
        path = folder / name
        await _copy_limited(upload, path, name, max_bytes)
        meta_path = None
        if meta is not None and not meta.is_empty():
            meta_path = folder / "meta.yaml"
            meta_path.write_text(meta.to_yaml(), encoding="utf-8")
        yield StagedUpload(path=path, meta_path=meta_path, folder=folder)
