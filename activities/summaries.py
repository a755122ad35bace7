"""Activities of the compliance summaries: who gets one, make and store one, email one.
Idempotent: a summary is keyed by (Deputy Prosecutor, period) and regenerated in place; its email
is keyed by the summary id in the outbox, so a retry never emails it twice."""

import asyncio

from sqlalchemy import Engine
from temporalio import activity

from models.summary_messages import (
    EMAIL_SUMMARY,
    LIST_DEPUTY_PROSECUTORS,
    PRODUCE_SUMMARY,
    DeputyProsecutorsInput,
    DeputyProsecutorsResult,
    EmailSummaryInput,
    EmailSummaryResult,
    ProduceSummaryInput,
    SummaryRef,
)
from notify.mailer import Mailer
from notify.outbox import Outbox
from notify.render import EmailRenderer
from settings import Settings
from store.db import session_scope
from summaries.produce import produce_summary
from summaries.render import SummaryRenderer
from summaries.store import deputy_prosecutor_ids


class SummaryActivities:
    def __init__(
        self,
        db_engine: Engine,
        settings: Settings,
        mailer: Mailer | None = None,
        renderer: SummaryRenderer | None = None,
        email_renderer: EmailRenderer | None = None,
    ):
        self.db_engine = db_engine
        self.renderer = renderer or SummaryRenderer(settings.app_base_url)
        self.outbox = Outbox(engine=db_engine, settings=settings, mailer=mailer, renderer=email_renderer)

    @activity.defn(name=LIST_DEPUTY_PROSECUTORS)
    async def list_deputy_prosecutors(self, request: DeputyProsecutorsInput) -> DeputyProsecutorsResult:
        return await asyncio.to_thread(self._list, request)

    @activity.defn(name=PRODUCE_SUMMARY)
    async def produce_summary(self, request: ProduceSummaryInput) -> SummaryRef:
        return await asyncio.to_thread(self._produce, request)

    @activity.defn(name=EMAIL_SUMMARY)
    async def email_summary(self, request: EmailSummaryInput) -> EmailSummaryResult:
        state = await asyncio.to_thread(self.outbox.send_summary, request.summary_id)
        return EmailSummaryResult(summary_id=request.summary_id, state=state)

    def _list(self, request: DeputyProsecutorsInput) -> DeputyProsecutorsResult:
        with session_scope(self.db_engine) as session:
            return DeputyProsecutorsResult(ids=deputy_prosecutor_ids(session=session, only=request.only))

    def _produce(self, request: ProduceSummaryInput) -> SummaryRef:
        with session_scope(self.db_engine) as session:
            return produce_summary(
                session=session,
                deputy_prosecutor_id=request.deputy_prosecutor_id,
                period=request.period,
                as_of=request.as_of,
                renderer=self.renderer,
                regenerate_emailed=request.regenerate_emailed,
            )

    def all(self) -> list:
        return [self.list_deputy_prosecutors, self.produce_summary, self.email_summary]
