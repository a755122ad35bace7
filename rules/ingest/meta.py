"""The front matter of a .docx/.pdf product, supplied as a separate YAML file (`--meta`).

The meta text is used as written, not re-serialised, so a format error the engine reports at line
N of the product points at line N-1 of the meta file (the product's line 1 is the opening `---`).
A leading `---` (YAML document start) takes the place of that opening line, and a closing `---`
is dropped, so a front matter block copied from a .md product works too.
"""

from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from rules.ingest.errors import IngestError
from rules.ingest.text import decode_utf8, read_bytes

MAX_META_BYTES = 1024 * 1024


def load_meta(path: Path) -> str:
    """The meta YAML text, checked to be one YAML mapping, ending with a newline."""
    name = str(path)
    data = read_bytes(path, MAX_META_BYTES, "meta file")
    text = decode_utf8(data, f"meta file {name}")
    lines = text.replace("\r\n", "\n").split("\n")
    if lines and lines[0] == "---":
        lines = lines[1:]
    while lines and not lines[-1].strip():
        lines.pop()
    if lines and lines[-1] == "---":
        lines.pop()
    if "---" in lines:
        raise IngestError(
            f"meta file {name}: line {lines.index('---') + 2} is '---'; the meta file must hold "
            f"one YAML mapping (the front matter), not several documents"
        )
    meta = "\n".join(lines) + "\n"
    _check_mapping(meta, name)
    return meta


def _check_mapping(meta: str, name: str) -> None:
    yaml = YAML(typ="safe", pure=True)
    yaml.allow_duplicate_keys = True  # the contract: the last occurrence wins (§1.1)
    try:
        value = yaml.load(meta)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise IngestError(f"meta file {name}: invalid YAML{where}: {exc.problem or exc.context}") from exc
    except YAMLError as exc:
        raise IngestError(f"meta file {name}: invalid YAML: {exc}") from exc
    if not isinstance(value, dict):
        kind = "empty" if value is None else f"a YAML {type(value).__name__}"
        raise IngestError(f"meta file {name}: must be a YAML mapping (the front matter), but it is {kind}")
