"""Replay committed histories of representative runs against the current workflow code.

A change to ProductReviewWorkflow that would break running reviews (a new activity call, a
reordered timer) fails here; guard such changes with `workflow.patched(...)`, move the histories
to a folder of their own (added to EARLIER_GENERATIONS) and record the new ones.

Regenerate the histories (only when a change is intentionally incompatible, and never for
workflows already running in production):

    RECORD_HISTORIES=1 .venv/bin/python -m pytest tests/workflows/test_replay.py -k record -q

They are recorded through the payload codec with the development key (settings.DEV_PAYLOAD_KEYS),
as every payload our workers write is; the earlier generations, recorded before the codec, had
their payloads sealed afterwards with the same key (`SEAL_HISTORIES=1 ... -k seal`, which seals
only payloads still in clear, in every generation: run it on any history recorded without the codec).
"""

import contextlib
import os
from datetime import timedelta
from pathlib import Path

import pytest
from history_sealing import history_payloads, seal_history
from review_fakes import (
    AUTHOR,
    HEAD,
    REVIEWER,
    REVIEWER_2,
    TEAMMATE,
    FakeReviewActivities,
    finding,
    review_worker,
    rid,
    start_review,
    submit_input,
    wait_for_state,
    wait_until,
)
from temporalio.client import WorkflowHandle, WorkflowHistory
from temporalio.worker import Replayer

from models.enums import DecisionKind, ReviewState, Severity
from models.messages import (
    AssignRequest,
    ClaimRequest,
    CommentRequest,
    DecisionRequest,
    DismissFindingRequest,
    MoveDueDateRequest,
    PrecheckWaitRequest,
    ResubmitRequest,
    SlaPolicy,
    WithdrawRequest,
)
from service.data_converter import data_converter_for
from service.payload_codec import ENCRYPTED_ENCODING
from workflows.review import ProductReviewWorkflow as WF

HISTORIES = Path(__file__).resolve().parents[1] / "histories"


# Histories written by earlier versions of the workflow, kept for as long as such a version may
# still have reviews running: v1 recorded transitions with ordinary activities.
# v2 recorded them with an unbounded local activity, before the patches bounded-local-recording,
# sla-recheck-on-wake and record-cancellation (docs/review-lifecycle.md, "Retiring old code").
EARLIER_GENERATIONS = ("v1-activity-recording", "v2-unbounded-local-recording")


@pytest.mark.parametrize("generation", ["current", *EARLIER_GENERATIONS])
async def test_recorded_histories_replay_with_current_code(generation):
    folder = HISTORIES if generation == "current" else HISTORIES / generation
    files = sorted(folder.glob("*.json"))
    assert len(files) >= 3, f"{folder}: run the recorder (see module docstring)"
    replayer = Replayer(workflows=[WF], data_converter=data_converter_for())
    for path in files:
        history = WorkflowHistory.from_json(path.stem, path.read_text())
        assert len(history.events) > 20, path.name
        await replayer.replay_workflow(history)  # raises on non-determinism


@pytest.mark.parametrize("generation", ["current", *EARLIER_GENERATIONS])
def test_recorded_histories_hold_no_payload_in_clear(generation):
    folder = HISTORIES if generation == "current" else HISTORIES / generation
    for path in sorted(folder.glob("*.json")):
        text = path.read_text()
        history = WorkflowHistory.from_json(path.stem, text)
        encodings = {p.metadata.get("encoding") for p in history_payloads(history)}
        assert encodings == {ENCRYPTED_ENCODING}, path.name
        # The titles and reasons of the recorded runs appear nowhere in the events' bytes.
        raw = b"".join(event.SerializeToString() for event in history.events)
        for secret in (
            "Interview outline",
            "Risk assessment missing",
            "Consent question",
            "Translator ill",
            "Superseded",
        ):
            assert secret.encode() not in raw, (path.name, secret)


@pytest.mark.skipif(
    not os.environ.get("SEAL_HISTORIES"), reason="set SEAL_HISTORIES=1 to seal histories recorded in clear"
)
def test_seal_histories_recorded_in_clear():
    codec = data_converter_for().payload_codec
    for folder in [HISTORIES, *(HISTORIES / g for g in EARLIER_GENERATIONS)]:
        for path in sorted(folder.glob("*.json")):
            history = WorkflowHistory.from_json(path.stem, path.read_text())
            if seal_history(history, codec):
                path.write_text(history.to_json())


# ---------- the recorder: representative runs ----------


async def _return_dismiss_resubmit_approve(env, tq) -> WorkflowHandle:
    handle = await start_review(env, tq, submit_input(product_id="HIST-LIFECYCLE"))
    await wait_for_state(handle, ReviewState.QUEUED)
    await handle.execute_update(WF.claim, ClaimRequest(actor=REVIEWER, request_id=rid()))
    await handle.execute_update(
        WF.decide,
        DecisionRequest(
            actor=REVIEWER, decision=DecisionKind.RETURN, reason="Risk assessment missing", request_id=rid()
        ),
    )
    await handle.execute_update(
        WF.resubmit,
        ResubmitRequest(
            actor=AUTHOR, version_id=102, version_no=2, version_label="v2", title="Revised", request_id=rid()
        ),
    )
    await wait_until(handle, lambda s: s.state == ReviewState.IN_REVIEW and s.version_no == 2)
    await handle.execute_update(
        WF.dismiss_finding,
        DismissFindingRequest(actor=REVIEWER, rule_id="SGBC-INT-07", reason="Quoted witness speech", request_id=rid()),
    )
    await handle.execute_update(
        WF.decide, DecisionRequest(actor=REVIEWER, decision=DecisionKind.APPROVE, request_id=rid())
    )
    await handle.result()
    return handle


async def _escalate_reassign_withdraw(env, tq) -> WorkflowHandle:
    handle = await start_review(env, tq, submit_input(product_id="HIST-ESCALATION"))
    await wait_for_state(handle, ReviewState.QUEUED)
    await handle.execute_update(WF.claim, ClaimRequest(actor=REVIEWER, request_id=rid()))
    await handle.execute_update(
        WF.decide,
        DecisionRequest(actor=REVIEWER, decision=DecisionKind.ESCALATE, reason="Consent question", request_id=rid()),
    )
    await handle.execute_update(WF.assign, AssignRequest(actor=HEAD, reviewer=REVIEWER_2, request_id=rid()))
    await handle.execute_update(
        WF.withdraw, WithdrawRequest(actor=TEAMMATE, reason="Mission cancelled", request_id=rid())
    )
    await handle.result()
    return handle


async def _sla_reminder_escalation_moved_due_return_expiry(env, tq) -> WorkflowHandle:
    policy = SlaPolicy(escalate_after_due=timedelta(hours=4), dp_escalation_after=timedelta(days=5))
    handle = await start_review(env, tq, submit_input(product_id="HIST-SLA", sla=policy))
    status = await wait_for_state(handle, ReviewState.QUEUED)
    await handle.execute_update(WF.claim, ClaimRequest(actor=REVIEWER, request_id=rid()))
    await env.sleep(status.due_at + timedelta(days=6) - await env.get_current_time())
    await wait_until(handle, lambda s: s.escalation_level == 2)
    await handle.execute_update(
        WF.move_due_date,
        MoveDueDateRequest(
            actor=HEAD,
            due_at=await env.get_current_time() + timedelta(days=3),
            reason="Translator ill",
            request_id=rid(),
        ),
    )
    await handle.execute_update(
        WF.decide, DecisionRequest(actor=REVIEWER, decision=DecisionKind.RETURN, reason="Revise", request_id=rid())
    )
    await env.sleep(timedelta(days=policy.resubmission_days, hours=1))
    await wait_until(handle, lambda s: s.overdue)
    await handle.execute_update(WF.withdraw, WithdrawRequest(actor=AUTHOR, reason="Superseded", request_id=rid()))
    await handle.result()
    return handle


async def _comments_and_precheck_wait(env, tq) -> WorkflowHandle:
    handle = await start_review(env, tq, submit_input(product_id="HIST-COMMENTS"))
    await handle.execute_update(WF.precheck_settled, PrecheckWaitRequest(version_no=1))
    await handle.execute_update(
        WF.comment, CommentRequest(actor=AUTHOR, text="Urgent: mission on Monday", request_id=rid())
    )
    await handle.execute_update(WF.claim, ClaimRequest(actor=REVIEWER, request_id=rid()))
    await handle.execute_update(WF.comment, CommentRequest(actor=REVIEWER, text="Section 3?", request_id=rid()))
    await handle.execute_update(WF.comment, CommentRequest(actor=TEAMMATE, text="See annex B", request_id=rid()))
    await handle.execute_update(
        WF.decide,
        DecisionRequest(
            actor=REVIEWER, decision=DecisionKind.RETURN, reason="Add annex B to the body", request_id=rid()
        ),
    )
    await handle.execute_update(
        WF.resubmit,
        ResubmitRequest(
            actor=AUTHOR, version_id=102, version_no=2, version_label="v2", title="Revised", request_id=rid()
        ),
    )
    await handle.execute_update(WF.precheck_settled, PrecheckWaitRequest(version_no=2))
    await handle.execute_update(WF.withdraw, WithdrawRequest(actor=AUTHOR, reason="Superseded", request_id=rid()))
    await handle.result()
    return handle


async def _failed_precheck_returned(env, tq) -> WorkflowHandle:
    handle = await start_review(env, tq, submit_input(product_id="HIST-FAILED-PRECHECK"))
    await wait_for_state(handle, ReviewState.QUEUED)
    await handle.execute_update(WF.claim, ClaimRequest(actor=REVIEWER, request_id=rid()))
    await handle.execute_update(
        WF.decide,
        DecisionRequest(actor=REVIEWER, decision=DecisionKind.RETURN, reason="Format errors", request_id=rid()),
    )
    await handle.execute_update(WF.withdraw, WithdrawRequest(actor=AUTHOR, reason="Rewritten", request_id=rid()))
    await handle.result()
    return handle


async def _continued_as_new(env, tq) -> WorkflowHandle:
    """The run that continue-as-new started (its input carries the state), with updates after it."""
    handle = await start_review(env, tq, submit_input(product_id="HIST-CAN", continue_as_new_after_events=30))
    await wait_for_state(handle, ReviewState.QUEUED)
    await handle.execute_update(WF.claim, ClaimRequest(actor=REVIEWER, request_id=rid()))
    for n in range(6):
        await handle.execute_update(WF.comment, CommentRequest(actor=REVIEWER, text=f"Remark {n}", request_id=rid()))
    await handle.execute_update(
        WF.decide, DecisionRequest(actor=REVIEWER, decision=DecisionKind.RETURN, reason="GEN-IO-03", request_id=rid())
    )
    await handle.execute_update(WF.withdraw, WithdrawRequest(actor=AUTHOR, reason="Superseded", request_id=rid()))
    await handle.result()
    latest = env.client.get_workflow_handle(handle.id)  # the latest run
    assert (await latest.describe()).run_id != handle.first_execution_run_id, "no continue-as-new happened"
    return latest


async def _continued_as_new_without_history(env, tq) -> WorkflowHandle:
    """The run that continues as new (patch history-left-in-database: the marker, then a
    continue-as-new whose input carries no history); the history recorded is that first run's."""
    handle = await start_review(
        env, tq, submit_input(product_id="HIST-CAN-NO-HISTORY", continue_as_new_after_events=30)
    )
    await wait_for_state(handle, ReviewState.QUEUED)
    await handle.execute_update(WF.claim, ClaimRequest(actor=REVIEWER, request_id=rid()))
    for n in range(6):
        await handle.execute_update(WF.comment, CommentRequest(actor=REVIEWER, text=f"Remark {n}", request_id=rid()))
    await handle.execute_update(WF.withdraw, WithdrawRequest(actor=AUTHOR, reason="Superseded", request_id=rid()))
    await handle.result()
    first = env.client.get_workflow_handle(handle.id, run_id=handle.first_execution_run_id)
    assert (await first.describe()).status.name == "CONTINUED_AS_NEW", "no continue-as-new happened"
    return first


async def _updates_racing_timers(env, tq) -> WorkflowHandle:
    """Updates sent while SLA timers fire (the time-skipping server jumps to each deadline)."""
    import asyncio

    policy = SlaPolicy(escalate_after_due=timedelta(0), dp_escalation_after=timedelta(days=1))
    handle = await start_review(env, tq, submit_input(product_id="HIST-RACE", sla=policy))
    status = await wait_for_state(handle, ReviewState.QUEUED)
    await handle.execute_update(WF.claim, ClaimRequest(actor=REVIEWER, request_id=rid()))
    await env.sleep(status.due_at - policy.reminder_before - await env.get_current_time() - timedelta(seconds=1))
    await asyncio.gather(
        env.sleep(timedelta(seconds=2)),
        handle.execute_update(WF.comment, CommentRequest(actor=REVIEWER, text="At the reminder", request_id=rid())),
    )
    await env.sleep(status.due_at - await env.get_current_time() - timedelta(seconds=1))
    await asyncio.gather(
        env.sleep(timedelta(seconds=2)),
        handle.execute_update(
            WF.move_due_date,
            MoveDueDateRequest(
                actor=HEAD, due_at=status.due_at + timedelta(days=2), reason="Raced the escalation", request_id=rid()
            ),
        ),
    )
    await handle.execute_update(
        WF.decide, DecisionRequest(actor=REVIEWER, decision=DecisionKind.RETURN, reason="GEN-IO-03", request_id=rid())
    )
    await handle.execute_update(WF.withdraw, WithdrawRequest(actor=AUTHOR, reason="Superseded", request_id=rid()))
    await handle.result()
    return handle


# The workflow code before issue 18's patches (bounded-local-recording, sla-recheck-on-wake,
# record-cancellation, close-abandoned-returns): the first half of a history that crosses them is
# recorded by it, taken from git so that no second copy of the workflow lives in the tree.
BEFORE_ISSUE_18 = "e15f619"


def _workflow_before_issue_18():
    import importlib
    import subprocess
    import sys
    import tempfile

    root = Path(__file__).resolve().parents[2]
    source = subprocess.run(
        ["git", "show", f"{BEFORE_ISSUE_18}:workflows/review.py"], cwd=root, check=True, capture_output=True, text=True
    ).stdout
    folder = tempfile.mkdtemp(prefix="gcu-old-workflow-")
    Path(folder, "review_before_issue_18.py").write_text(source)
    sys.path.insert(0, folder)  # the sandbox imports a workflow's module by name
    return importlib.import_module("review_before_issue_18").ProductReviewWorkflow


async def _crossing_the_patches(env, fakes) -> WorkflowHandle:
    """Started on the code before the patches, carried on (after a deployment) by the current code:
    a comment, a due-date move whose SLA timers fire on the new code, and a cancellation."""
    import asyncio
    from uuid import uuid4

    from temporalio.client import WorkflowFailureError
    from temporalio.worker import Worker

    task_queue = f"crossing-{uuid4()}"
    activities = [fakes.precheck, fakes.record_transitions, fakes.record_transition]
    inp = submit_input(product_id="HIST-CROSSING")
    async with Worker(
        env.client, task_queue=task_queue, workflows=[_workflow_before_issue_18()], activities=activities
    ):
        handle = await env.client.start_workflow(
            "ProductReviewWorkflow", inp, id=f"product-review-{inp.product_id}", task_queue=task_queue
        )
        await wait_for_state(handle, ReviewState.QUEUED)
        await handle.execute_update(WF.claim, ClaimRequest(actor=REVIEWER, request_id=rid()))
    async with Worker(env.client, task_queue=task_queue, workflows=[WF], activities=activities):
        await handle.execute_update(
            WF.comment, CommentRequest(actor=REVIEWER, text="After the deployment", request_id=rid())
        )
        await handle.execute_update(
            WF.move_due_date,
            MoveDueDateRequest(
                actor=HEAD, due_at=await env.get_current_time() + timedelta(seconds=4), reason="Short", request_id=rid()
            ),
        )
        await asyncio.sleep(6)  # the escalation fires on the new code
        await handle.cancel()
        with contextlib.suppress(WorkflowFailureError):
            await handle.result()
    return handle


@pytest.mark.skipif(
    not os.environ.get("RECORD_HISTORIES"), reason="set RECORD_HISTORIES=1 to regenerate tests/histories"
)
async def test_record_histories(temporal_env, time_skipping_env):
    HISTORIES.mkdir(exist_ok=True)
    findings = {1: [finding("GEN-IO-03", Severity.MAJOR)], 2: [finding("SGBC-INT-07", Severity.BLOCKING)]}
    runs = [
        ("lifecycle_return_resubmit_approve", temporal_env, _return_dismiss_resubmit_approve),
        ("escalate_reassign_withdraw", temporal_env, _escalate_reassign_withdraw),
        (
            "sla_escalations_moved_due_resubmission_expiry",
            time_skipping_env,
            _sla_reminder_escalation_moved_due_return_expiry,
        ),
        ("comments_and_precheck_waits", temporal_env, _comments_and_precheck_wait),
        ("failed_precheck_returned", temporal_env, _failed_precheck_returned),
        ("run_started_by_continue_as_new", temporal_env, _continued_as_new),
        ("updates_racing_sla_timers", time_skipping_env, _updates_racing_timers),
        ("continued_as_new_without_history", temporal_env, _continued_as_new_without_history),
    ]
    only = os.environ.get("RECORD_ONLY")  # e.g. RECORD_ONLY=updates_racing_sla_timers
    if not only or "crossing_the_patches" in only:
        handle = await _crossing_the_patches(temporal_env, FakeReviewActivities(findings))
        (HISTORIES / "crossing_the_patches.json").write_text((await handle.fetch_history()).to_json())
    for name, env, scenario in runs:
        if only and name not in only.split(","):
            continue
        fakes = FakeReviewActivities(findings, precheck_error="version 101 is not stored" if "failed" in name else None)
        async with review_worker(env, fakes) as tq:
            handle = await scenario(env, tq)
            history = await handle.fetch_history()
        (HISTORIES / f"{name}.json").write_text(history.to_json())
