"""`.ci/audit` (pip-audit over requirements.lock in CI): a known vulnerability fails the build; an
advisory service that cannot be reached is reported and does not; pip-audit passing a package it
could not look up is never taken for "no known vulnerabilities"."""

import os
import subprocess
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def run_with(tmp_path, output: str, status: int):
    fake = tmp_path / "pip-audit"
    fake.write_text(f"#!/bin/sh\ncat <<'OUT'\n{output}\nOUT\nexit {status}\n")
    fake.chmod(0o755)
    return subprocess.run(
        [str(PROJECT_ROOT / ".ci" / "audit")],
        env={**os.environ, "PIP_AUDIT": str(fake)},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_known_vulnerability_fails(tmp_path):
    done = run_with(
        tmp_path, "Found 1 known vulnerability in 1 package\nName Version ID\njinja2 3.1.5 GHSA-cpwx-vrp4-4pq7", 1
    )
    assert done.returncode == 1 and "known vulnerabilities" in done.stderr


@pytest.mark.parametrize(
    "output",
    [
        "ERROR:pip_audit._cli:alembic: Dependency not found on PyPI and could not be audited: alembic (1.20.1)",
        "requests.exceptions.ConnectionError: HTTPSConnectionPool(host='pypi.org', port=443): Max retries exceeded",
    ],
)
def test_an_unreachable_advisory_service_warns_without_failing(tmp_path, output):
    done = run_with(tmp_path, output, 1)
    assert done.returncode == 0 and "NOT audited" in done.stderr


def test_a_clean_audit_passes(tmp_path):
    assert run_with(tmp_path, "No known vulnerabilities found", 0).returncode == 0


def test_the_lock_pins_every_dependency_with_hashes():
    lock = (PROJECT_ROOT / "requirements.lock").read_text()
    pins = [line for line in lock.splitlines() if "==" in line and not line.startswith(("#", " "))]
    assert len(pins) > 30
    assert all(line.endswith("\\") for line in pins), "each pin is followed by its hashes"
    assert "--find-links" not in lock and "file://" not in lock
    for name in ("pypdf", "python-multipart", "starlette", "jinja2", "authlib", "h11"):
        assert any(line.startswith(f"{name}==") for line in pins), name
