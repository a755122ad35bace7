"""Waiting for the pre-check after a submission: the submission has already succeeded, so a status
that nobody can give in time (no worker polls the review's task queue) ends the wait at its own
deadline with "not yet" (None), never with an error or the query's 30 s default."""

import time
import uuid

import pytest
from temporalio.client import WorkflowExecutionStatus

from models.enums import ProductType, StaffRole
from models.messages import Actor, SlaPolicy, SubmitProductInput
from service import reviews
from service.errors import ServiceError
from workflows.review import ProductReviewWorkflow, workflow_id_for


async def test_no_worker_to_answer_ends_the_wait_at_its_deadline(temporal_env):
    product_id = f"NOWORKER-{uuid.uuid4().hex[:8].upper()}"
    author = Actor(staff_id="inv-ana", roles=[StaffRole.INVESTIGATOR], team_ids=["T-OSPREY"])
    handle = await temporal_env.client.start_workflow(
        ProductReviewWorkflow.run,
        SubmitProductInput(
            product_id=product_id,
            version_id=1,
            version_no=1,
            version_label="v1",
            product_type=ProductType.IO,
            team_id="T-OSPREY",
            situation="SIT-1",
            author_id="inv-ana",
            title="t",
            submitted_by=author,
            request_id=str(uuid.uuid4()),
            sla=SlaPolicy(),
        ),
        id=workflow_id_for(product_id),
        task_queue=f"nobody-polls-{uuid.uuid4().hex[:6]}",
    )
    try:
        started = time.monotonic()
        settled = await reviews.wait_for_precheck(client=temporal_env.client, product_id=product_id, timeout=1.0)
        waited = time.monotonic() - started
    finally:
        await handle.terminate("test over")
    assert settled is None
    assert waited < 1.0 + reviews.MIN_QUERY_TIMEOUT_SECONDS + 2.0, f"waited {waited:.1f} s"
    assert (await handle.describe()).status == WorkflowExecutionStatus.TERMINATED


async def test_an_unknown_review_is_still_an_error(temporal_env):
    with pytest.raises(ServiceError, match="no review found"):
        await reviews.wait_for_precheck(client=temporal_env.client, product_id="NEVER-SUBMITTED", timeout=1.0)
