"""The review lifecycle end to end through the `gcu-review` CLI, as an operator drives it: a real
Temporal dev server, a real worker, a real database (SQLite, and PostgreSQL when TEST_POSTGRES_URL
is set), and the CLI run as a separate process for every command."""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from temporalio.worker import Worker

from settings import Settings
from tests.dbutil import database_kinds, fresh_database
from worker import build_worker

HERE = Path(__file__).parent
PROJECT_ROOT = HERE.parents[1]
PRODUCTS = PROJECT_ROOT / "demo" / "products"


class Cli:
    def __init__(self, env: dict[str, str]):
        self.env = env

    def __call__(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "cli.main", *args],
            cwd=PROJECT_ROOT,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=120,
        )

    def ok(self, *args: str, **kw) -> subprocess.CompletedProcess:
        done = self(*args, **kw)
        assert done.returncode == 0, f"{args} exited {done.returncode}\nstdout:{done.stdout}\nstderr:{done.stderr}"
        return done

    def json(self, *args: str, **kw):
        return json.loads(self.ok(*args, "--format", "json", **kw).stdout)

    def refused(self, *args: str) -> str:
        done = self(*args)
        assert done.returncode == 1, f"{args} should be refused (exit 1), got {done.returncode}: {done.stderr}"
        return done.stderr


@pytest.fixture(scope="module", params=database_kinds())
async def system(request, temporal_env, tmp_path_factory):
    """Database + worker on the session's dev server; yields a CLI bound to them."""
    tmp = tmp_path_factory.mktemp("e2e")
    with fresh_database(request.param, tmp) as url:
        task_queue = f"e2e-{uuid.uuid4().hex[:8]}"
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
        cli.ok("roster", "import", str(HERE / "roster.yaml"))
        worker: Worker = build_worker(temporal_env.client, settings)
        async with worker:
            yield cli, tmp


def product_copy(
    tmp: Path, sample: str, *, version: str | None = None, product_id: str | None = None
) -> tuple[Path, str]:
    """A demo product under a fresh product id (every test run gets its own workflows)."""
    text = (PRODUCTS / sample).read_text(encoding="utf-8")
    old_id = next(line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("  id:"))
    new_id = product_id or f"{old_id}-{uuid.uuid4().hex[:6]}"
    text = text.replace(f"  id: {old_id}", f"  id: {new_id}", 1)
    if version:
        text = "\n".join(
            f'  version: "{version}"' if line.startswith("  version:") else line for line in text.split("\n")
        )
    path = tmp / f"{new_id}-{version or 'v1'}.md"
    path.write_text(text, encoding="utf-8")
    return path, new_id


async def run(cli_call, *args, **kw):
    import asyncio

    return await asyncio.to_thread(cli_call, *args, **kw)


async def test_return_resubmit_and_approve_by_the_same_reviewer(system):
    cli, tmp = system
    path, pid = product_copy(tmp, "S2-IO-child-compliant.md")
    submitted = await run(cli.json, "submit", str(path), "--as", "HE-01")
    assert submitted["status"]["state"] == "queued"
    # Contract v2: the child was never asked what she needs (VUL-INT-02, major); the block quote is listed (LANG-04).
    assert submitted["status"]["verdict"] == "revise"

    assert (await run(cli.json, "claim", pid, "--as", "GX-02"))["state"] == "in_review"
    commented = await run(cli.json, "comment", pid, "--text", "Was the interpreter briefed?", "--as", "GX-02")
    assert commented["state"] == "in_review"
    assert (commented["history"][-1]["action"], commented["history"][-1]["reason"]) == (
        "comment",
        "Was the interpreter briefed?",
    )
    assert "KE-01 may not comment" in await run(cli.refused, "comment", pid, "--text", "hello", "--as", "KE-01")
    refused = await run(cli.refused, "decide", pid, "return", "--as", "GX-02")
    assert "reason" in refused.lower()
    returned = await run(
        cli.json, "decide", pid, "return", "--reason", "Add the interpreter's briefing date", "--as", "GX-02"
    )
    assert returned["state"] == "returned"

    v2, _ = product_copy(tmp, "S2-IO-child-compliant.md", version="2.0", product_id=pid)
    resubmitted = await run(cli.json, "resubmit", pid, str(v2), "--as", "HE-01")
    assert resubmitted["version_no"] == 2
    assert resubmitted["state"] == "in_review"
    assert resubmitted["assignee"] == "GX-02"

    await run(
        cli.ok,
        "dismiss",
        pid,
        "VUL-INT-02",
        "--reason",
        "Needs asked by the psychologist on 5 March, see annex",
        "--as",
        "GX-02",
    )
    approved = await run(cli.json, "decide", pid, "approve", "--as", "GX-02")
    assert approved["state"] == "approved"
    history = await run(cli.json, "history", pid)
    actions = [h["action"] for h in history]
    assert actions[:4] == ["submit", "precheck", "enqueue", "claim"]
    assert "resubmit" in actions and actions[-1] == "approve"
    assert actions[4] == "comment" and actions.count("comment") == 1


async def test_approval_needs_blocking_and_major_findings_dismissed(system):
    cli, tmp = system
    path, pid = product_copy(tmp, "S5-CS-kestrel.md")
    submitted = await run(cli.json, "submit", str(path), "--as", "KE-01")
    assert submitted["status"]["verdict"] == "revise"
    # LANG-04 (advisory, contract v2) lists the quoted definition; it never holds up an approval.
    assert {f["rule_id"] for f in submitted["status"]["findings"]} == {"GEN-CHG-09", "LANG-01", "LANG-04"}

    await run(cli.ok, "claim", pid, "--as", "GX-02")
    refused = await run(cli.refused, "decide", pid, "approve", "--as", "GX-02")
    assert "GEN-CHG-09" in refused or "LANG-01" in refused

    dismissed = await run(
        cli.json, "dismiss", pid, "LANG-01", "--reason", "The term is inside the statutory definition", "--as", "GX-02"
    )
    lang = next(f for f in dismissed["findings"] if f["rule_id"] == "LANG-01")
    assert lang["state"] == "dismissed" and lang["dismissed_by"] == "GX-02"
    await run(cli.refused, "decide", pid, "approve", "--as", "GX-02")  # GEN-CHG-09 is still open
    await run(cli.ok, "dismiss", pid, "GEN-CHG-09", "--reason", "Second witness statement attached", "--as", "GX-02")
    assert (await run(cli.json, "decide", pid, "approve", "--as", "GX-02"))["state"] == "approved"


async def test_approval_with_an_undismissed_blocking_finding_is_refused(system):
    cli, tmp = system
    path, pid = product_copy(tmp, "S3-IO-adolescent.md")
    submitted = await run(cli.json, "submit", str(path), "--as", "KE-03")
    assert submitted["status"]["verdict"] == "blocked"
    await run(cli.ok, "claim", pid, "--as", "GX-03")
    refusal = await run(cli.refused, "decide", pid, "approve", "--as", "GX-03")
    assert "STAFF-02 (blocking)" in refusal
    assert (await run(cli.json, "status", pid))["state"] == "in_review"


async def test_a_team_cannot_submit_or_resubmit_into_another_team(system):
    """`submit --as`: the submitter and the author must be team staff of product.team; nothing is stored."""
    import sqlalchemy as sa

    from store.db import make_engine

    cli, tmp = system
    path, pid = product_copy(tmp, "S2-IO-child-compliant.md")
    kestrel = path.with_name(f"{pid}-kestrel.md")
    # Heron's leader as the author of a product of Team Kestrel (the defect: accepted, as the author's).
    text = path.read_text(encoding="utf-8").replace("  team: T-HERON", "  team: T-KESTREL", 1)
    kestrel.write_text(text.replace("  author: HE-03", "  author: HE-01", 1), encoding="utf-8")
    refused = await run(cli.refused, "submit", str(kestrel), "--as", "HE-01")
    assert "HE-01 may not submit this product: only the staff of team T-KESTREL may. Nothing was stored." in refused
    engine = make_engine(cli.env["DATABASE_URL"])
    with engine.connect() as c:
        assert c.execute(sa.text("SELECT count(*) FROM product WHERE id = :id"), {"id": pid}).scalar() == 0

    await run(cli.ok, "submit", str(path), "--as", "HE-01")
    # What each may do now, as the review policy says: the team withdraws or comments, the GCU claims.
    as_team = await run(cli.json, "status", pid, "--as", "HE-01")
    as_reviewer = await run(cli.json, "status", pid, "--as", "GX-02")
    assert (as_team["allowed_actions"], as_reviewer["allowed_actions"]) == (["withdraw", "comment"], ["claim"])
    assert "KE-01 may: no action now" in (await run(cli.ok, "status", pid, "--as", "KE-01")).stdout
    v2, _ = product_copy(tmp, "S2-IO-child-compliant.md", version="0.9", product_id=pid)
    v2.write_text(v2.read_text(encoding="utf-8").replace("  author: HE-03", "  author: KE-03", 1), encoding="utf-8")
    refused = await run(cli.refused, "resubmit", pid, str(v2), "--as", "HE-01")
    assert "The author KE-03 is not on the staff of team T-HERON" in refused
    outsider = await run(cli.refused, "resubmit", pid, str(v2), "--as", "KE-01")
    assert "KE-01 may not resubmit this product: only the staff of team T-HERON may" in outsider
    with engine.connect() as c:
        assert (
            c.execute(sa.text("SELECT count(*) FROM product_version WHERE product_id = :id"), {"id": pid}).scalar() == 1
        )
    engine.dispose()


async def test_self_review_and_team_review_are_refused(system):
    cli, tmp = system
    path, pid = product_copy(tmp, "S1-IP-heron.md")
    await run(cli.ok, "submit", str(path), "--as", "HE-01")
    author_refusal = await run(cli.refused, "claim", pid, "--as", "HE-01")
    assert "HE-01" in author_refusal or "reviewer" in author_refusal.lower()
    team_refusal = await run(cli.refused, "claim", pid, "--as", "HE-20")
    assert "team" in team_refusal.lower()
    head_refusal = await run(cli.refused, "assign", pid, "HE-20", "--as", "GX-09")
    assert "team" in head_refusal.lower()


async def test_gcu_head_reassigns_and_reviewer_escalates(system):
    cli, tmp = system
    path, pid = product_copy(tmp, "S8-GA-velmora.md")
    await run(cli.ok, "submit", str(path), "--as", "HE-01")
    await run(cli.ok, "claim", pid, "--as", "GX-02")
    await run(cli.refused, "assign", pid, "GX-03", "--as", "GX-02")  # only the head assigns
    reassigned = await run(cli.json, "assign", pid, "GX-03", "--as", "GX-09")
    assert reassigned["assignee"] == "GX-03"
    await run(cli.refused, "decide", pid, "return", "--reason", "not mine any more", "--as", "GX-02")
    escalated = await run(
        cli.json, "decide", pid, "escalate", "--reason", "Policy question on data gaps", "--as", "GX-03"
    )
    assert escalated["state"] == "escalated"
    decided = await run(cli.json, "decide", pid, "return", "--reason", "Add the data-gaps section", "--as", "GX-09")
    assert decided["state"] == "returned"


async def test_overdue_review_is_escalated_to_the_gcu_head_and_the_deputy_prosecutor(system):
    cli, tmp = system
    path, pid = product_copy(tmp, "S6-MP-compliant.md")
    # An SLA of zero working days and no grace: the review is overdue as soon as it is queued.
    sla = {"REVIEW_SLA_WORKING_DAYS": "0", "REVIEW_DP_ESCALATION_AFTER_HOURS": "0"}
    await run(cli.ok, "submit", str(path), "--as", "OS-01", env=sla)
    import asyncio

    for _ in range(100):
        status = await run(cli.json, "status", pid)
        if status["escalation_level"] >= 2:
            break
        await asyncio.sleep(0.2)
    assert status["overdue"] is True
    assert status["escalation_level"] == 2
    actions = [h["action"] for h in status["history"]]
    assert "overdue_escalation" in actions and "dp_escalation" in actions


async def test_withdrawal_duplicate_and_malformed_submissions(system):
    cli, tmp = system
    path, pid = product_copy(tmp, "S7-AP-kestrel.md")
    await run(cli.ok, "submit", str(path), "--as", "KE-01")
    duplicate = await run(cli.refused, "submit", str(path), "--as", "KE-01")
    assert "already submitted" in duplicate
    await run(cli.refused, "withdraw", pid, "--reason", "wrong team", "--as", "GX-02")  # not the team
    withdrawn = await run(cli.json, "withdraw", pid, "--reason", "Superseded by the 2027 plan", "--as", "KE-01")
    assert withdrawn["state"] == "withdrawn"

    broken = tmp / "broken.md"
    broken.write_text("---\nproduct: [not, a, mapping\n---\n# body\n", encoding="utf-8")
    done = await run(cli, "submit", str(broken), "--as", "KE-01")
    assert done.returncode == 2
    assert "format error" in done.stderr and "nothing was stored" in done.stderr
    queue = await run(cli.json, "queue")
    assert pid in {row["product_id"] for row in queue}

    verified = await run(cli.ok, "audit", "verify")
    assert "intact" in verified.stdout
