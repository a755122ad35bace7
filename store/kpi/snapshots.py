"""Stored KPI values, for trends (`gcu-review kpi --trend`). One snapshot per KPI, period, scope
and day: taking it again the same day (a retried sweep) overwrites it, never adds a second."""

import datetime as dt
from typing import Any

from pydantic import BaseModel
from sqlmodel import Session, col, select

from models.kpi_tables import KpiSnapshot
from models.tables import utcnow
from store.kpi.result import KpiResult


def snapshot_key(result: KpiResult, taken_on: dt.date) -> str:
    return f"{result.kpi}:{result.period.label}:{result.scope}:{taken_on.isoformat()}"


def save_snapshots(*, session: Session, results: list[KpiResult], taken_on: dt.date) -> list[KpiSnapshot]:
    rows = []
    for result in results:
        key = snapshot_key(result, taken_on)
        row = session.exec(select(KpiSnapshot).where(KpiSnapshot.snapshot_key == key)).first()
        values: dict[str, Any] = dict(
            kpi=result.kpi,
            period_label=result.period.label,
            period_start=result.period.start,
            period_end=result.period.end,
            scope=result.scope,
            taken_on=taken_on,
            numerator=result.numerator,
            denominator=result.denominator,
            value=result.value,
            target=result.target,
            status=result.status,
            definition=result.definition,
            details={
                "breakdowns": {k: [r.model_dump(mode="json") for r in v] for k, v in result.breakdowns.items()},
                **result.model_dump(mode="json")["details"],
            },
            created_at=utcnow(),
        )
        if row is None:
            row = KpiSnapshot(snapshot_key=key, **values)
            session.add(row)
        else:
            for name, value in values.items():
                setattr(row, name, value)
        rows.append(row)
    session.flush()
    return rows


class TrendPoint(BaseModel):
    kpi: str
    period_label: str
    taken_on: dt.date
    scope: str
    numerator: int
    denominator: int
    value: float | None
    target: float | None
    status: str


def trend(*, session: Session, kpi: str | None = None, scope: str = "all", limit: int = 24) -> list[TrendPoint]:
    """The latest snapshot of each period, oldest period first, at most `limit` periods per KPI."""
    query = select(KpiSnapshot).where(KpiSnapshot.scope == scope)
    if kpi is not None:
        query = query.where(KpiSnapshot.kpi == kpi)
    latest: dict[tuple[str, str], KpiSnapshot] = {}
    for row in session.exec(
        query.order_by(col(KpiSnapshot.kpi), col(KpiSnapshot.period_start), col(KpiSnapshot.taken_on))
    ):
        latest[(row.kpi, row.period_label)] = row
    points: dict[str, list[TrendPoint]] = {}
    for (k, _), row in latest.items():
        points.setdefault(k, []).append(TrendPoint.model_validate(row, from_attributes=True))
    return [p for k in sorted(points) for p in points[k][-limit:]]
