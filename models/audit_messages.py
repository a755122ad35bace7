"""Messages of the audit anchor (workflows/audit_anchor.py): the chain's head as recorded outside
the database, in the history of a Temporal workflow that the database role cannot write."""

from datetime import datetime

from pydantic import BaseModel

READ_CHAIN_HEAD = "read_audit_chain_head"  # the activity's name, which the workflow calls it by


class AnchorInput(BaseModel):
    pass


class AnchoredHead(BaseModel):
    """The chain's head at `recorded_at`: its length, last event and that event's hash."""

    length: int
    last_event_id: int | None
    last_hash: str
    recorded_at: datetime
