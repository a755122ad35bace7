"""The stored `rules impact` runs of the GCU head's page (models.impact_tables.RuleImpactRun):
asked for by the web app, carried out by the worker (activities/impact.py), read by the page."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models.impact import ImpactReport, ImpactRunState
from models.impact_tables import RuleImpactRun
from models.tables import utcnow

RECENT_RUNS = 10
# A run still queued or running after this long has lost its worker (a terminated workflow): it no
# longer stands in the way of a new run of the same pack.
UNDER_WAY_FOR_AT_MOST = timedelta(hours=24)


def create_run(*, session: Session, candidate_version: str, active_version: str, requested_by: str) -> RuleImpactRun:
    run = RuleImpactRun(candidate_version=candidate_version, active_version=active_version, requested_by=requested_by)
    session.add(run)
    session.flush()
    return run


def run_under_way(*, session: Session, candidate_version: str, active_version: str) -> RuleImpactRun | None:
    """The unfinished run of this pack against this active pack, if one was asked for recently: a
    second click, or a second person, joins it instead of checking every product again."""
    return session.exec(
        select(RuleImpactRun)
        .where(
            col(RuleImpactRun.candidate_version) == candidate_version,
            col(RuleImpactRun.active_version) == active_version,
            col(RuleImpactRun.state).in_([ImpactRunState.QUEUED.value, ImpactRunState.RUNNING.value]),
            col(RuleImpactRun.requested_at) >= utcnow() - UNDER_WAY_FOR_AT_MOST,
        )
        .order_by(col(RuleImpactRun.id).desc())
        .limit(1)
    ).first()


def get_run(*, session: Session, run_id: int) -> RuleImpactRun | None:
    return session.get(RuleImpactRun, run_id)


def recent_runs(*, session: Session, limit: int = RECENT_RUNS) -> list[RuleImpactRun]:
    return list(session.exec(select(RuleImpactRun).order_by(col(RuleImpactRun.id).desc()).limit(limit)))


def start_run(*, session: Session, run_id: int, total: int) -> None:
    """The worker starts (or, after a crash, starts again) a run: progress from zero."""
    _update(session, run_id, state=ImpactRunState.RUNNING.value, products_done=0, products_total=total, error=None)


def record_progress(*, session: Session, run_id: int, done: int) -> None:
    _update(session, run_id, products_done=done)


def finish_run(*, session: Session, run_id: int, report: ImpactReport) -> None:
    _update(
        session,
        run_id,
        state=ImpactRunState.DONE.value,
        products_done=report.products,
        products_total=report.products,
        report_json=report.model_dump_json(),
        finished_at=utcnow(),
    )


def fail_run(*, session: Session, run_id: int, error: str) -> None:
    _update(session, run_id, state=ImpactRunState.FAILED.value, error=error, finished_at=utcnow())


def report_of(run: RuleImpactRun) -> ImpactReport | None:
    return ImpactReport.model_validate_json(run.report_json) if run.report_json else None


def _update(session: Session, run_id: int, **values) -> None:
    session.execute(sa.update(RuleImpactRun).where(col(RuleImpactRun.id) == run_id).values(**values))
