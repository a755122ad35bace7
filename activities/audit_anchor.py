"""The audit anchor's one activity: read the chain head, to be recorded in the workflow's history."""

import asyncio
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlmodel import Session
from temporalio import activity

from models.audit_messages import READ_CHAIN_HEAD, AnchoredHead, AnchorInput
from store import audit


class AuditAnchorActivities:
    def __init__(self, *, db_engine: sa.Engine):
        self.db_engine = db_engine

    @activity.defn(name=READ_CHAIN_HEAD)
    async def read_chain_head(self, _request: AnchorInput) -> AnchoredHead:
        return await asyncio.to_thread(self._read)

    def _read(self) -> AnchoredHead:
        with Session(self.db_engine) as session:
            return audit.current_head(session=session, at=datetime.now(UTC))

    def all(self) -> list:
        return [self.read_chain_head]
