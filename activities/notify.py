"""The outbox activity: emails pending notifications, row by row, at most once each
(notify/outbox.py explains the guarantee). Does nothing when SMTP is not configured."""

import asyncio

from sqlalchemy import Engine
from temporalio import activity

from models.summary_messages import SEND_PENDING_NOTIFICATIONS, OutboxInput, OutboxResult
from notify.mailer import Mailer
from notify.outbox import Outbox
from notify.render import EmailRenderer
from settings import Settings


class NotifyActivities:
    def __init__(
        self, db_engine: Engine, settings: Settings, mailer: Mailer | None = None, renderer: EmailRenderer | None = None
    ):
        self.outbox = Outbox(engine=db_engine, settings=settings, mailer=mailer, renderer=renderer)

    @activity.defn(name=SEND_PENDING_NOTIFICATIONS)
    async def send_pending_notifications(self, request: OutboxInput) -> OutboxResult:
        # Heartbeat per email: a worker that dies mid-batch is noticed by Temporal within the heartbeat
        # timeout, and the retry skips what was already claimed.
        loop = asyncio.get_running_loop()

        def beat() -> None:
            loop.call_soon_threadsafe(activity.heartbeat)

        return await asyncio.to_thread(self.outbox.send_pending, limit=request.limit, progress=beat)

    def all(self) -> list:
        return [self.send_pending_notifications]
