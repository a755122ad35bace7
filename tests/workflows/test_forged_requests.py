"""The trust boundary on a real dev server: a client without the payload key (the `temporal` CLI)
cannot act on a review, and the review goes on unaffected; what the server stores is sealed.

The forged claim is the one from issue 12: an actor who is not in the register, sent in clear JSON."""

import asyncio
import json
from uuid import uuid4

import pytest
from history_sealing import history_payloads
from review_fakes import (
    REVIEWER,
    FakeReviewActivities,
    review_worker,
    rid,
    start_review,
    submit_input,
    wait_for_state,
    wait_until,
)
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowExecutionStatus, WorkflowFailureError
from temporalio.exceptions import ApplicationError

from models.enums import ReviewState
from models.messages import ClaimRequest
from service.devserver import temporal_binary
from service.payload_codec import ENCRYPTED_ENCODING
from workflows.review import ProductReviewWorkflow as WF
from workflows.review import workflow_id_for
from workflows.search_attributes import SEARCH_ATTRIBUTE_KEYS

FORGED_CLAIM = {"actor": {"staff_id": "ZZ-99", "roles": ["gcu_reviewer"], "team_ids": []}, "request_id": "x"}


async def temporal_cli(env, *args: str) -> tuple[int, str]:
    """The temporal CLI, an independent client with no payload codec. Run without blocking the
    event loop, where the worker under test polls."""
    process = await asyncio.create_subprocess_exec(
        temporal_binary(),
        *args,
        "--address",
        env.client.service_client.config.target_host,
        "--namespace",
        env.client.namespace,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    return process.returncode, output.decode()


async def test_a_forged_claim_is_refused_and_a_legitimate_claim_right_after_it_succeeds(temporal_env):
    fakes = FakeReviewActivities()
    async with review_worker(temporal_env, fakes) as tq:
        handle = await start_review(temporal_env, tq, submit_input(product_id=f"FORGE-{uuid4().hex[:8]}"))
        await wait_for_state(handle, ReviewState.QUEUED)
        recorded_before = len(fakes.records)

        code, output = await temporal_cli(
            temporal_env,
            "workflow",
            "update",
            "execute",
            "--workflow-id",
            handle.id,
            "--name",
            "claim",
            "--input",
            json.dumps(FORGED_CLAIM),
        )
        assert code != 0, output
        # The refusal names its kind only; its message is sealed like every failure.
        assert "ForgedPayload" in output and "ZZ-99" not in output

        status = await handle.query(WF.status)
        assert (status.state, status.assignee) == (ReviewState.QUEUED, None)
        assert len(fakes.records) == recorded_before  # nothing reached the audit trail
        history = await handle.fetch_history()
        kinds = {event.event_type for event in history.events}
        # Rejected before its validator: no trace in the history, and no failed (poisoned) task.
        assert EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED not in kinds
        assert EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED not in kinds

        claimed = await handle.execute_update(WF.claim, ClaimRequest(actor=REVIEWER, request_id=rid()))
        assert (claimed.state, claimed.assignee) == (ReviewState.IN_REVIEW, REVIEWER.staff_id)
        assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING


async def test_a_forged_signal_and_query_change_nothing(temporal_env):
    async with review_worker(temporal_env, FakeReviewActivities()) as tq:
        handle = await start_review(temporal_env, tq, submit_input(product_id=f"FORGE-{uuid4().hex[:8]}"))
        await wait_for_state(handle, ReviewState.QUEUED)
        code, output = await temporal_cli(
            temporal_env,
            "workflow",
            "signal",
            "--workflow-id",
            handle.id,
            "--name",
            "claim",
            "--input",
            json.dumps(FORGED_CLAIM),
        )
        # The server takes any signal; the review has no signal handlers, and a payload in clear
        # would not open anyway (the SDK drops a signal whose argument cannot be converted).
        assert code == 0, output
        code, output = await temporal_cli(
            temporal_env, "workflow", "query", "--workflow-id", handle.id, "--type", "status"
        )
        assert code == 0, output
        assert "QUEUED".lower() not in output.lower() and "T-OSPREY" not in output  # the answer is sealed
        claimed = await handle.execute_update(WF.claim, ClaimRequest(actor=REVIEWER, request_id=rid()))
        assert claimed.state == ReviewState.IN_REVIEW
        history = await handle.fetch_history()
        assert EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED not in {e.event_type for e in history.events}


async def test_a_client_without_the_key_cannot_start_a_review(temporal_env):
    fakes = FakeReviewActivities()
    async with review_worker(temporal_env, fakes) as tq:
        product_id = f"FORGE-{uuid4().hex[:8]}"
        forged_input = submit_input(product_id=product_id).model_dump_json()
        code, output = await temporal_cli(
            temporal_env,
            "workflow",
            "start",
            "--type",
            "ProductReviewWorkflow",
            "--task-queue",
            tq,
            "--workflow-id",
            workflow_id_for(product_id),
            "--input",
            forged_input,
        )
        assert code == 0, output  # the server accepts the start; our code never runs it
        handle = temporal_env.client.get_workflow_handle(workflow_id_for(product_id))
        with pytest.raises(WorkflowFailureError) as failed:
            await handle.result()
        assert isinstance(failed.value.cause, ApplicationError) and failed.value.cause.type == "ForgedPayload"
        assert "not encrypted with the gcu-review payload key" in failed.value.cause.message
        history = await handle.fetch_history()
        kinds = [e.event_type for e in history.events]
        # Failed at once, for good: no retried (poisoned) task, no activity, nothing recorded.
        assert EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED not in kinds
        assert EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED not in kinds
        assert not [r for r in fakes.records if r.product_id == product_id]


async def test_the_server_holds_no_review_text_in_clear_and_search_attributes_hold_ids_and_states(temporal_env):
    async with review_worker(temporal_env, FakeReviewActivities()) as tq:
        inp = submit_input(product_id=f"SEAL-{uuid4().hex[:8]}", title="Interview outline W-17 (witness Amani)")
        handle = await start_review(temporal_env, tq, inp)
        await wait_for_state(handle, ReviewState.QUEUED)
        await handle.execute_update(WF.claim, ClaimRequest(actor=REVIEWER, request_id=rid()))
        history = await handle.fetch_history()  # as stored by the server: no codec applied
        described = await handle.describe()
    assert {p.metadata.get("encoding") for p in history_payloads(history)} == {ENCRYPTED_ENCODING}
    raw = b"".join(event.SerializeToString() for event in history.events)
    assert b"witness Amani" not in raw and b"Interview outline" not in raw
    attributes = {key.name: value for key, value in described.typed_search_attributes}
    ours = {key.name for key in SEARCH_ATTRIBUTE_KEYS}
    # Besides ours, only Temporal's own (build ids, patch ids) are set.
    assert {name for name in attributes if name not in ours} <= {"BuildIds", "TemporalChangeVersion"}
    assert {k: v for k, v in attributes.items() if k in ours} == {
        "Team": inp.team_id,
        "ProductType": str(inp.product_type),
        "ReviewState": "in_review",
        "Assignee": REVIEWER.staff_id,
        "Situation": inp.situation,
    }


async def test_key_rotation_on_a_running_review(temporal_env):
    """New payloads are sealed with the first key, old ones still open with the retired one; a worker
    that lacks a key fails only its workflow task (retried), never the review."""
    from temporalio.client import Client
    from temporalio.worker import Worker

    from service.data_converter import data_converter_for_keys
    from service.payload_codec import (
        KEY_ID_METADATA,
        UnknownPayloadKeyError,
        new_key_entry,
    )

    old, new = new_key_entry("k-old"), new_key_entry("k-new")

    def client(keys: str) -> Client:
        return Client(
            temporal_env.client.service_client,
            namespace=temporal_env.client.namespace,
            data_converter=data_converter_for_keys(keys),
        )

    def worker(keys: str, fakes: FakeReviewActivities, task_queue: str) -> Worker:
        return Worker(
            client(keys),
            task_queue=task_queue,
            workflows=[WF],
            activities=[fakes.precheck, fakes.record_transitions, fakes.record_transition],
        )

    fakes, task_queue = FakeReviewActivities(), f"rotation-{uuid4()}"
    rotated = client(f"{new},{old}")
    inp = submit_input(product_id=f"ROT-{uuid4().hex[:8]}")
    handle = await rotated.start_workflow(WF.run, inp, id=workflow_id_for(inp.product_id), task_queue=task_queue)
    try:
        async with worker(old, fakes, task_queue):  # not yet given the new key
            for _ in range(200):
                history = await handle.fetch_history()
                if any(e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED for e in history.events):
                    break
                await asyncio.sleep(0.05)
            else:
                raise AssertionError("the worker without the new key did not refuse the payload")
        assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
        assert not fakes.records

        async with worker(f"{new},{old}", fakes, task_queue):  # rolled: the review goes on
            # The server retries the failed task with a backoff (and after the old worker's sticky queue times out).
            await wait_until(handle, lambda s: s.state == ReviewState.QUEUED, timeout=120)
            # A client still on the old key is understood (its payloads name the old key), but cannot
            # read the answer, sealed with the new one: why every process must be rolled.
            on_old_key = client(old).get_workflow_handle(handle.id)
            with pytest.raises(UnknownPayloadKeyError, match="'k-new', which is not configured"):
                await on_old_key.execute_update(WF.claim, ClaimRequest(actor=REVIEWER, request_id=rid()))
            status = await handle.query(WF.status)
            assert (status.state, status.assignee) == (ReviewState.IN_REVIEW, REVIEWER.staff_id)
        history = await handle.fetch_history()
        key_ids = {p.metadata.get(KEY_ID_METADATA) for p in history_payloads(history)}
        assert key_ids == {b"k-new", b"k-old"}
    finally:
        await handle.terminate("test finished")


async def test_a_sealed_request_naming_someone_outside_the_register_fails_and_the_review_goes_on(
    temporal_env, tmp_path
):
    """Defence in depth, with the real activities: even a client holding the key cannot act as a
    person who is not in the register. The recording activity refuses before writing anything;
    the update fails and the workflow keeps its state."""
    from sqlmodel import Session, select
    from temporalio.client import WorkflowUpdateFailedError

    from models.messages import Actor
    from models.tables import AuditEvent
    from service import reviews
    from tests.web.flow import new_product_id, review_system, s1_text
    from tests.web.flow import wait_for_state as wait_for_review

    product_id = new_product_id()
    document = tmp_path / f"{product_id}.md"
    document.write_text(s1_text(product_id), encoding="utf-8")
    async with review_system(tmp_path, temporal_env) as (settings, engine, client):
        await reviews.submit(db_engine=engine, client=client, settings=settings, path=document, actor_id="HE-01")
        await wait_for_review(engine, product_id, "queued")
        handle = client.get_workflow_handle(workflow_id_for(product_id))
        outsider = Actor(staff_id="ZZ-99", roles=["gcu_reviewer"], team_ids=[])
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update(WF.claim, ClaimRequest(actor=outsider, request_id=rid()))
        assert isinstance(refused.value.cause, ApplicationError)
        assert "ZZ-99 is not an active person of the register" in refused.value.cause.message
        assert (await handle.query(WF.status)).state == ReviewState.QUEUED

        claimed = await reviews.claim(db_engine=engine, client=client, product_id=product_id, actor_id="GX-02")
        assert (claimed.state, claimed.assignee) == (ReviewState.IN_REVIEW, "GX-02")
        with Session(engine) as session:
            actors = session.exec(select(AuditEvent.actor_id).where(AuditEvent.product_id == product_id)).all()
        assert "ZZ-99" not in actors and "GX-02" in actors
