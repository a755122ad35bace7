"""The rule-pack library: a folder holding one sub-folder per pack version (rules/packs/1.0,
rules/packs/2.0), each with its own pack.yaml. Every version stays loadable, because a review keeps
the pack it was pre-checked with; the active one (the highest, unless chosen) checks new versions."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from rules.pack import MANIFEST, PackError, read_yaml

PACKS_ROOT = Path(__file__).resolve().parent / "packs"


def _version_key(version: str) -> tuple[int | str, ...]:
    return tuple(int(p) if p.isdigit() else p for p in version.split("."))


def manifest_version(pack_dir: Path) -> str:
    doc = read_yaml(pack_dir / MANIFEST)
    version = doc.value.get("version") if isinstance(doc.value, dict) else None
    if not isinstance(version, str):
        raise PackError("pack manifest has no string `version`", str(pack_dir / MANIFEST), doc.line_of(("version",)))
    return version


def pack_dirs(root: Path) -> dict[str, Path]:
    """version -> pack folder. `root` is a library (sub-folders with pack.yaml) or one pack."""
    root = Path(root)
    if (root / MANIFEST).is_file():
        return {manifest_version(root): root}
    found: dict[str, Path] = {}
    for sub in sorted(p for p in root.iterdir() if (p / MANIFEST).is_file()) if root.is_dir() else []:
        version = manifest_version(sub)
        if version in found:
            raise PackError(f"pack version {version} is also in {found[version]}", str(sub / MANIFEST))
        found[version] = sub
    if not found:
        raise PackError("no rule pack here (no pack.yaml, nor sub-folders with one)", str(root))
    return dict(sorted(found.items(), key=lambda kv: _version_key(kv[0])))


def match_version(spec: str, versions: list[str]) -> str | None:
    """`spec` names a version exactly or by prefix of whole parts: "1.0" and "1" name "1.0.0"."""
    if spec in versions:
        return spec
    parts = spec.split(".")
    hits = [v for v in versions if v.split(".")[: len(parts)] == parts]
    return max(hits, key=_version_key) if hits else None


@dataclass
class PackLibrary:
    root: Path
    active_spec: str | None = None
    _dirs: dict[str, Path] = field(default_factory=dict)
    _engines: dict[str, object] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._dirs = pack_dirs(self.root)

    @property
    def versions(self) -> list[str]:
        return list(self._dirs)

    @property
    def active_version(self) -> str:
        if self.active_spec is None:
            return self.versions[-1]
        return self.resolve(self.active_spec)

    def resolve(self, spec: str | None) -> str:
        if spec is None:
            return self.active_version
        version = match_version(spec, self.versions)
        if version is None:
            raise PackError(f"no pack version {spec!r} (have {', '.join(self.versions)})", str(self.root))
        return version

    def dir_of(self, spec: str | None = None) -> Path:
        return self._dirs[self.resolve(spec)]

    def engine(self, spec: str | None = None):
        """The engine of a pack version (loaded once); None = the active pack."""
        from rules.engine import Engine

        version = self.resolve(spec)
        with self._lock:
            if version not in self._engines:
                self._engines[version] = Engine.load(self._dirs[version])
            return self._engines[version]


_LIBRARIES: dict[tuple[str, str | None], PackLibrary] = {}
_LIB_LOCK = threading.Lock()


def library(root: Path | None = None, active: str | None = None) -> PackLibrary:
    key = (str(Path(root or PACKS_ROOT).resolve()), active)
    with _LIB_LOCK:
        if key not in _LIBRARIES:
            _LIBRARIES[key] = PackLibrary(Path(key[0]), active)
        return _LIBRARIES[key]


def engine_for(spec: str | None = None, root: Path | None = None):
    """The engine of pack `spec` ("1.0", "2.0.0"; None = the active one) in the library at `root`."""
    return library(root).engine(spec)
