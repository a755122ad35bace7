"""NotificationOutboxWorkflow runs the outbox activity on a worker: pending notifications are
emailed, a second run sends nothing."""

import uuid

from sqlmodel import Session
from temporalio.worker import Worker

from activities.notify import NotifyActivities
from models.summary_messages import OutboxInput, OutboxResult
from models.tables import Staff, utcnow
from settings import Settings
from store.notifications import create_notification
from workflows.outbox import NotificationOutboxWorkflow


async def test_the_outbox_workflow_emails_pending_notifications_once(time_skipping_env, fresh_engine, smtp_server):
    with Session(fresh_engine) as s:
        s.add(Staff(id="AU-W", name="Author", email="author@example.org"))
        s.flush()
        for i in range(3):
            create_notification(
                session=s,
                recipient_id="AU-W",
                kind="approved",
                subject=f"Approved: Plan {i}",
                product_id=f"P-{i}",
                dedupe_key=f"wf:{uuid.uuid4()}",
                created_at=utcnow(),
            )
        s.commit()
    settings = Settings(
        task_queue=f"outbox-{uuid.uuid4()}", smtp_host="127.0.0.1", smtp_port=smtp_server.port, smtp_starttls=False
    )
    client = time_skipping_env.client
    async with Worker(
        client,
        task_queue=settings.task_queue,
        workflows=[NotificationOutboxWorkflow],
        activities=NotifyActivities(fresh_engine, settings).all(),
    ):
        runs = [
            await client.execute_workflow(
                NotificationOutboxWorkflow.run,
                OutboxInput(),
                id=f"outbox-{uuid.uuid4()}",
                task_queue=settings.task_queue,
                result_type=OutboxResult,
            )
            for _ in range(2)
        ]
    assert [r.sent for r in runs] == [3, 0]
    assert sorted(m["Subject"] for _, m in smtp_server.received) == [
        f"[GCU review] Approved: Plan {i}" for i in range(3)
    ]
