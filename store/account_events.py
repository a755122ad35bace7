"""Account changes in the audit trail: created, edited, deactivated, unlocked, password set, API
token made or revoked, identity-provider link. Each is one event in the same hash chain as the
review transitions, under the workflow id `account-<id>`, numbered per account."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models.enums import AuditChannel
from models.tables import AuditEvent, stored_id, utcnow
from models.web_tables import Account
from store import audit


@dataclass(frozen=True)
class Operator:
    """Who changes an account, and through what. An administrator may have no staff id, so the
    audit actor is then `account:<username>`."""

    channel: AuditChannel
    username: str | None = None
    staff_id: str | None = None

    @property
    def actor_id(self) -> str | None:
        if self.staff_id:
            return self.staff_id
        return f"account:{self.username}" if self.username else None

    @classmethod
    def of(cls, account: Account, channel: AuditChannel) -> "Operator":
        return cls(channel=channel, username=account.username, staff_id=account.staff_id)


SYSTEM = Operator(channel=AuditChannel.SYSTEM)


def account_workflow_id(account_id: int) -> str:
    return f"account-{account_id}"


def record(
    *,
    session: Session,
    account: Account,
    action: str,
    by: Operator,
    reason: str | None = None,
    details: Mapping[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    workflow_id = account_workflow_id(stored_id(account))
    session.flush()
    # The chain lock first: two changes of one account at once then number their events in turn.
    audit.lock_chain(session=session)
    last = session.exec(
        select(sa.func.max(AuditEvent.transition_seq)).where(AuditEvent.workflow_id == workflow_id)
    ).one()
    described = {"account": account.username, **({"by": by.username} if by.username else {}), **(details or {})}
    return audit.append_event(
        session=session,
        workflow_id=workflow_id,
        transition_seq=(last or 0) + 1,
        action=f"account.{action}",
        at=at or utcnow(),
        actor_id=by.actor_id,
        reason=reason,
        details=described,
        channel=by.channel,
    )


def events_of(*, session: Session, account_id: int) -> list[AuditEvent]:
    return list(
        session.exec(
            select(AuditEvent)
            .where(col(AuditEvent.workflow_id) == account_workflow_id(account_id))
            .order_by(col(AuditEvent.id))
        )
    )
