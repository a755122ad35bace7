"""Activities of the daily certification sweep. Idempotent: notices are keyed by (certificate,
threshold) and snapshots by (KPI, period, scope, day), so a retry or a second run on the same day
writes nothing new."""

import asyncio

from sqlalchemy import Engine
from temporalio import activity

from activities import cert_names
from models.cert_messages import ExpiryNoticesInput, ExpiryNoticesResult, SnapshotInput, SnapshotResult
from settings import Settings
from store.cert_notices import send_expiry_notices
from store.db import session_scope
from store.kpi.config import load_kpi_config
from store.kpi.report import compute_kpis
from store.kpi.snapshots import save_snapshots


class CertificationActivities:
    def __init__(self, db_engine: Engine, settings: Settings):
        self.db_engine = db_engine
        self.settings = settings

    # Async methods running the blocking database work in a thread, like the review activities, so
    # the worker needs no activity executor.
    @activity.defn(name=cert_names.NOTIFY_EXPIRING_CERTIFICATES)
    async def notify_expiring_certificates(self, request: ExpiryNoticesInput) -> ExpiryNoticesResult:
        return await asyncio.to_thread(self._notify, request)

    @activity.defn(name=cert_names.STORE_KPI_SNAPSHOTS)
    async def store_kpi_snapshots(self, request: SnapshotInput) -> SnapshotResult:
        """KPIs 10-12 for the periods containing the sweep day, office-wide scope."""
        return await asyncio.to_thread(self._snapshots, request)

    def _notify(self, request: ExpiryNoticesInput) -> ExpiryNoticesResult:
        with session_scope(self.db_engine) as session:
            return send_expiry_notices(session=session, request=request)

    def _snapshots(self, request: SnapshotInput) -> SnapshotResult:
        with session_scope(self.db_engine) as session:
            results = compute_kpis(session=session, today=request.as_of, config=load_kpi_config())
            rows = save_snapshots(session=session, results=results, taken_on=request.as_of)
            return SnapshotResult(as_of=request.as_of, snapshots=[r.snapshot_key for r in rows])

    def all(self) -> list:
        return [self.notify_expiring_certificates, self.store_kpi_snapshots]
