"""Reading files with the limits checked first, and decoding UTF-8 with a useful error."""

from pathlib import Path

from rules.ingest.errors import IngestError
from rules.ingest.safety import check_size


def read_bytes(path: Path, max_bytes: int, what: str = "file") -> bytes:
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise IngestError(f"{path}: not a regular file")
        check_size(size, max_bytes, f"{what} {path}" if what != "file" else str(path))
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)  # the file may have grown since stat()
    except FileNotFoundError as exc:
        raise IngestError(f"{path}: {what} not found") from exc
    except OSError as exc:
        raise IngestError(f"{path}: cannot read the {what} ({exc.strerror or exc})") from exc
    check_size(len(data), max_bytes, str(path))
    return data


def decode_utf8(data: bytes, name: str) -> str:
    """UTF-8 text without a byte-order mark; invalid bytes are refused with their line number."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise IngestError(
            f"{name}: not valid UTF-8 (byte 0x{data[exc.start]:02x} at line {line}, "
            f"byte offset {exc.start}); save the file as UTF-8"
        ) from exc
    return text.removeprefix("\ufeff")
