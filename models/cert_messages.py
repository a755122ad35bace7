"""Messages of the certification sweep (issue 4): one pydantic model in, one out, per workflow and
activity. Plain data only: they cross the Temporal data converter."""

from datetime import date

from pydantic import BaseModel, Field


class SweepInput(BaseModel):
    # None: the sweep's own day (workflow.now()), which is what the daily schedule passes.
    as_of: date | None = None


class ExpiryNoticesInput(BaseModel):
    as_of: date
    thresholds_days: list[int] = Field(default_factory=lambda: [90, 30, 7])
    # An expired certificate is notified once, if it expired at most this many days ago and was not renewed.
    expired_window_days: int = 30


class ExpiryNoticesResult(BaseModel):
    as_of: date
    notices: int = 0  # (certificate, threshold) pairs notified in this run
    notifications: int = 0  # Notification rows created (person + team leaders)
    already_sent: int = 0
    by_threshold: dict[str, int] = Field(default_factory=dict)


class SnapshotInput(BaseModel):
    as_of: date


class SnapshotResult(BaseModel):
    as_of: date
    snapshots: list[str] = Field(default_factory=list)  # snapshot keys written


class SweepResult(BaseModel):
    as_of: date
    notices: ExpiryNoticesResult
    snapshot: SnapshotResult
