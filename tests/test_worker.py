"""The worker builds its dependencies once, at start: a broken rule pack stops it there."""

import shutil

import pytest

from rules.pack import PackError
from settings import Settings
from worker import build_worker


def test_worker_refuses_to_start_on_a_broken_rule_pack(tmp_path, temporal_env):
    from pathlib import Path

    packs = tmp_path / "packs"
    shutil.copytree(Path(__file__).resolve().parents[1] / "rules" / "packs", packs)
    language = packs / "2.0" / "language.yaml"
    language.write_text(language.read_text(encoding="utf-8").replace("severity:", "severty:", 1), encoding="utf-8")
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'db.sqlite'}", rules_pack_dir=packs)
    with pytest.raises(PackError) as refused:
        build_worker(temporal_env.client, settings)
    assert "language.yaml" in str(refused.value)


def test_worker_refuses_to_start_on_a_broken_earlier_pack(tmp_path, temporal_env):
    """A review judged by pack 1.0.0 may need it again: it is loaded and checked at start too."""
    from pathlib import Path

    packs = tmp_path / "packs"
    shutil.copytree(Path(__file__).resolve().parents[1] / "rules" / "packs", packs)
    staff = packs / "1.0" / "staff.yaml"
    staff.write_text(staff.read_text(encoding="utf-8").replace("severity:", "severty:", 1), encoding="utf-8")
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'db.sqlite'}", rules_pack_dir=packs)
    with pytest.raises(PackError) as refused:
        build_worker(temporal_env.client, settings)
    assert "1.0/staff.yaml" in str(refused.value)
