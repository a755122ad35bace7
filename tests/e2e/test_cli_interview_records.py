"""An interview record's review through the `gcu-review` CLI, a process per command, on a real dev
server, worker and database (contract v2 §5.3): submitted by the team, claimed by an SPU officer who
does not appear in it, returned, resubmitted, approved; the SPU indicator in `gcu-review kpi`."""

import json
import os
import uuid

import pytest
from temporalio.worker import Worker

from service.demo_spu import TEAMS, interview_record
from settings import Settings
from tests.dbutil import database_kinds, fresh_database
from tests.e2e.test_cli_lifecycle import HERE, Cli, run
from worker import build_worker

SPU_STAFF = """  - {id: SP-01, name: "Marit Esquerra", gender: female, team: null, roles: [spu_officer]}
  - {id: SP-02, name: "Yusuf Delacroix-Aba", gender: male, team: null, roles: [spu_officer]}
"""


@pytest.fixture(scope="module", params=database_kinds())
async def system(request, temporal_env, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e-ir")
    roster = (HERE / "roster.yaml").read_text(encoding="utf-8")
    anchor = next(line for line in roster.splitlines() if line.strip().startswith("- {id: DP-02"))
    (tmp / "roster.yaml").write_text(roster.replace(anchor + "\n", anchor + "\n" + SPU_STAFF), encoding="utf-8")
    with fresh_database(request.param, tmp) as url:
        task_queue = f"e2e-ir-{uuid.uuid4().hex[:8]}"
        target = temporal_env.client.service_client.config.target_host
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "TEMPORAL_ADDRESS": target,
            "TASK_QUEUE": task_queue,
            "VAR_DIR": str(tmp),
        }
        settings = Settings(database_url=url, temporal_address=target, task_queue=task_queue, var_dir=tmp)
        cli = Cli(env)
        cli.ok("roster", "import", str(tmp / "roster.yaml"))
        worker: Worker = build_worker(temporal_env.client, settings)
        async with worker:
            yield cli, tmp


async def test_an_interview_record_through_the_cli_with_the_spu(system):
    import datetime as dt

    cli, tmp = system
    pid = f"IR-HERON-E2E-{uuid.uuid4().hex[:6].upper()}"
    text = interview_record(
        pid, TEAMS[0], kind=2, serial=1, recorded=dt.date(2026, 2, 2), submitted=dt.date(2026, 2, 5)
    )
    path = tmp / f"{pid}.md"
    path.write_text(text.replace("assessor: GX-01", "assessor: SP-02"), encoding="utf-8")
    submitted = await run(cli.json, "submit", str(path), "--as", "HE-03")
    assert submitted["status"]["state"] == "queued"
    assert [f["rule_id"] for f in submitted["status"]["findings"]] == ["VUL-IR-04"]  # no psychosocial support

    assert "only an SPU officer may" in await run(cli.refused, "claim", pid, "--as", "GX-02")
    assert "SP-02 appears in this product" in await run(cli.refused, "claim", pid, "--as", "SP-02")
    assert (await run(cli.json, "claim", pid, "--as", "SP-01"))["assignee"] == "SP-01"
    assert "VUL-IR-04 (major)" in await run(cli.refused, "decide", pid, "approve", "--as", "SP-01")
    returned = await run(
        cli.json, "decide", pid, "return", "--reason", "Record the support given, or why none was.", "--as", "SP-01"
    )
    assert returned["state"] == "returned"

    fixed = text.replace(
        "psychosocial_support: {during: none}",
        "psychosocial_support: {during: on_call, provider_role: psychologist, expert: GX-01}",
    )
    v2 = tmp / f"{pid}-v2.md"
    v2.write_text(
        fixed.replace('version: "1.0"', 'version: "2.0"').replace("assessor: GX-01", "assessor: SP-02"),
        encoding="utf-8",
    )
    resubmitted = await run(cli.json, "resubmit", pid, str(v2), "--as", "HE-03")
    assert (resubmitted["state"], resubmitted["assignee"], resubmitted["findings"]) == ("in_review", "SP-01", [])
    assert (await run(cli.json, "decide", pid, "approve", "--as", "SP-01"))["state"] == "approved"

    kpi = json.loads((await run(cli.ok, "kpi", "--period", "2026-Q1", "--only", "SPU", "--format", "json")).stdout)
    assert (kpi[0]["kpi"], kpi[0]["numerator"], kpi[0]["denominator"]) == ("SPU", 1, 1)
