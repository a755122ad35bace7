"""ComplianceSummaryWorkflow under Temporal: every Deputy Prosecutor's summary for the period,
stored and emailed with its PDF once; and the `compliance-summary` schedule starting it."""

import asyncio
import contextlib
import io
import uuid
from datetime import UTC, datetime

from pypdf import PdfReader
from sqlmodel import Session
from temporalio.client import Client
from temporalio.worker import Worker

from activities.notify import NotifyActivities
from activities.summaries import SummaryActivities
from models.summary_messages import SummaryRunInput, SummaryRunResult, previous_period
from service.temporal_setup import ensure_summary_schedules as ensure_schedules
from settings import Settings
from summaries.store import get_summary, list_summaries
from tests.notify.conftest import SmtpServer
from tests.summaries import dataset
from workflows.outbox import NOT_CONFIGURED_NOTE, NotificationOutboxWorkflow
from workflows.outbox import SCHEDULE_ID as OUTBOX_SCHEDULE
from workflows.summaries import SCHEDULE_ID, ComplianceSummaryWorkflow


def worker_for(client: Client, engine, settings: Settings) -> Worker:
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=[ComplianceSummaryWorkflow, NotificationOutboxWorkflow],
        activities=[*SummaryActivities(engine, settings).all(), *NotifyActivities(engine, settings).all()],
    )


def settings_for(smtp_port: int | None = None, **kw) -> Settings:
    mail = dict(smtp_host="127.0.0.1", smtp_port=smtp_port, smtp_starttls=False) if smtp_port else dict(smtp_host="")
    return Settings(
        task_queue=f"summaries-{uuid.uuid4()}",
        mail_from="GCU review <gcu@gcu.test>",
        app_base_url="https://gcu.test",
        **mail,
        **kw,
    )


async def test_a_run_makes_and_emails_each_summary_once(time_skipping_env, fresh_engine):
    with Session(fresh_engine) as s:
        dataset.build(s)
    server = SmtpServer().start()
    settings = settings_for(server.port)
    client = time_skipping_env.client
    try:
        async with worker_for(client, fresh_engine, settings):
            request = SummaryRunInput(period=dataset.PERIOD)
            first: SummaryRunResult = await client.execute_workflow(
                ComplianceSummaryWorkflow.run, request, id=f"summary-{uuid.uuid4()}", task_queue=settings.task_queue
            )
            second: SummaryRunResult = await client.execute_workflow(
                ComplianceSummaryWorkflow.run, request, id=f"summary-{uuid.uuid4()}", task_queue=settings.task_queue
            )
    finally:
        server.stop()
    assert [r.deputy_prosecutor_id for r in first.summaries] == ["DP-1", "DP-2"]
    assert [e.state for e in first.emails] == ["sent", "sent"]
    assert [(r.summary_id, r.kept) for r in second.summaries] == [(r.summary_id, True) for r in first.summaries]
    assert [e.state for e in second.emails] == ["already_sent", "already_sent"]

    assert sorted(to[0] for to, _ in server.received) == ["dp1@example.org", "dp2@example.org"]
    (message,) = [m for to, m in server.received if to == ["dp1@example.org"]]
    assert message["Subject"] == "[GCU review] Compliance summary 2026-03-02 to 2026-03-08"
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "Products reviewed: 2 (approved 1, returned 2)\nOpen blocking findings: 3\nOverdue reviews: 2" in text
    assert "https://gcu.test/dashboard" in text
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename() == "compliance-summary-DP-1-2026-03-02.pdf"
    pdf_text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(attachment.get_content())).pages)
    assert "Products reviewed: 2" in pdf_text
    with Session(fresh_engine) as s:
        listed = list_summaries(session=s, deputy_prosecutor_id="DP-1")
        assert [(x.period_start, x.reviewed) for x in listed] == [(dataset.PERIOD.start, 2)]
        assert listed[0].emailed_at is not None
        assert get_summary(session=s, summary_id=listed[0].id).pdf == attachment.get_content()


async def test_without_a_period_the_run_covers_the_week_before_and_stays_in_app_without_smtp(
    time_skipping_env, fresh_engine
):
    with Session(fresh_engine) as s:
        dataset.build(s)
    settings = settings_for()
    client = time_skipping_env.client
    async with worker_for(client, fresh_engine, settings):
        handle = await client.start_workflow(
            ComplianceSummaryWorkflow.run,
            SummaryRunInput(deputy_prosecutor_id="DP-2"),
            id=f"summary-{uuid.uuid4()}",
            task_queue=settings.task_queue,
        )
        result: SummaryRunResult = await handle.result()
    started = (await handle.describe()).start_time
    assert result.period == previous_period(started.astimezone(UTC).date(), 7)
    assert [r.deputy_prosecutor_id for r in result.summaries] == ["DP-2"]
    assert [e.state for e in result.emails] == ["not_configured"]


async def _delete_schedules(client: Client, *schedule_ids: str) -> None:
    from temporalio.service import RPCError, RPCStatusCode

    for schedule_id in schedule_ids:
        try:
            await client.get_schedule_handle(schedule_id).delete()
        except RPCError as err:
            if err.status != RPCStatusCode.NOT_FOUND:
                raise


async def test_the_schedules_are_created_once_then_updated_and_start_the_summary(temporal_env, fresh_engine):
    """The time-skipping test server does not implement Schedules, so this runs on the dev server:
    the schedule's next runs are Mondays 07:00 UTC, and triggering it runs the workflow for the
    week before the trigger."""
    with Session(fresh_engine) as s:
        dataset.build(s)
    client = temporal_env.client
    settings = settings_for()
    # Schedule ids are per namespace and the dev server is shared by the session: a worker started by
    # another test (gcu-review worker ensures its schedules) may have created them already.
    await _delete_schedules(client, SCHEDULE_ID, OUTBOX_SCHEDULE)
    try:
        assert await ensure_schedules(client, settings) == {SCHEDULE_ID: "created", OUTBOX_SCHEDULE: "created"}
        summary = await client.get_schedule_handle(SCHEDULE_ID).describe()
        assert summary.info.next_action_times
        assert all((t.weekday(), t.hour, t.minute) == (0, 7, 0) for t in summary.info.next_action_times)
        daily = settings.model_copy(update={"summary_cron": "30 6 * * *"})
        assert await ensure_schedules(client, daily) == {SCHEDULE_ID: "updated", OUTBOX_SCHEDULE: "updated"}
        summary = await client.get_schedule_handle(SCHEDULE_ID).describe()
        times = summary.info.next_action_times
        assert len(times) > 1 and all((t.hour, t.minute) == (6, 30) for t in times)
        assert {(b - a).days for a, b in zip(times, times[1:], strict=False)} == {1}
        outbox = await client.get_schedule_handle(OUTBOX_SCHEDULE).describe()
        assert (outbox.schedule.state.paused, outbox.schedule.state.note) == (True, NOT_CONFIGURED_NOTE)

        await ensure_schedules(client, settings.model_copy(update={"smtp_host": "127.0.0.1"}))
        outbox = await client.get_schedule_handle(OUTBOX_SCHEDULE).describe()
        assert outbox.schedule.state.paused is False

        async with worker_for(client, fresh_engine, settings):
            handle = client.get_schedule_handle(SCHEDULE_ID)
            await handle.trigger()
            for _ in range(100):
                actions = (await handle.describe()).info.recent_actions
                if actions:
                    break
                await asyncio.sleep(0.1)
            run = client.get_workflow_handle(
                actions[0].action.workflow_id,
                run_id=actions[0].action.first_execution_run_id,
                result_type=SummaryRunResult,
            )
            result: SummaryRunResult = await run.result(rpc_timeout=None)
        today = datetime.now(UTC).date()
        assert result.period in (previous_period(today, 7), previous_period(actions[0].scheduled_at.date(), 7))
        assert [r.deputy_prosecutor_id for r in result.summaries] == ["DP-1", "DP-2"]
    finally:
        for schedule_id in (SCHEDULE_ID, OUTBOX_SCHEDULE):
            with contextlib.suppress(Exception):
                await client.get_schedule_handle(schedule_id).delete()
