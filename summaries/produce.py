"""Make one summary: figures, HTML, PDF, stored. The activity and `gcu-review summaries run
--local` both call this."""

from datetime import datetime

from sqlmodel import Session

from models.summary_messages import SummaryPeriod, SummaryRef
from summaries.data import build_summary_data
from summaries.render import SummaryRenderer
from summaries.store import day_bounds_ok, find_summary, save_summary


def produce_summary(
    *,
    session: Session,
    deputy_prosecutor_id: str,
    period: SummaryPeriod,
    as_of: datetime,
    renderer: SummaryRenderer,
    generated_at: datetime | None = None,
    regenerate_emailed: bool = False,
) -> SummaryRef:
    """A summary already emailed is kept as the Deputy Prosecutor received it, unless
    `regenerate_emailed`; either way it is not emailed again."""
    day_bounds_ok(period)
    existing = find_summary(session=session, deputy_prosecutor_id=deputy_prosecutor_id, period=period)
    if existing is not None and existing.emailed_at is not None and not regenerate_emailed:
        return SummaryRef(summary_id=existing.id, deputy_prosecutor_id=deputy_prosecutor_id, period=period, kept=True)
    generated_at = generated_at or as_of
    data = build_summary_data(session=session, deputy_prosecutor_id=deputy_prosecutor_id, period=period, as_of=as_of)
    row, replaced = save_summary(
        session=session,
        deputy_prosecutor_id=deputy_prosecutor_id,
        period=period,
        html=renderer.html(data, generated_at),
        pdf=renderer.pdf(data, generated_at),
        data=data.model_dump(mode="json"),
        generated_at=generated_at,
    )
    return SummaryRef(summary_id=row.id, deputy_prosecutor_id=deputy_prosecutor_id, period=period, replaced=replaced)
