"""Messages of the reconciliation of abnormal endings (workflows/review_endings.py): review
workflows that ended terminated, timed out or failed while their review was open."""

from datetime import datetime

from pydantic import BaseModel, Field

RECORD_ABNORMAL_ENDINGS = "record_abnormal_endings"  # the activity's name, which the workflow calls it by

# The ExecutionStatus values (visibility queries) of an abnormal ending. A cancellation is recorded by
# the workflow itself (patch record-cancellation); one from before that patch is recorded here.
ABNORMAL_STATUSES = ("Terminated", "TimedOut", "Failed", "Canceled")


class EndingsInput(BaseModel):
    pass


class RecordedEnding(BaseModel):
    product_id: str
    run_id: str
    ended: str  # terminated, timed out, failed, cancelled
    closed_at: datetime | None
    state: str  # the review's state when its workflow ended (the database's)
    audit_event_id: int


class EndingsReport(BaseModel):
    recorded: list[RecordedEnding] = Field(default_factory=list)
    already_recorded: int = 0  # abnormal endings found whose ending was recorded before
    not_open: int = 0  # abnormal endings of reviews the database holds closed (or does not hold)
