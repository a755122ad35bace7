"""A worklist row (the queue, "My reviews") as it is shown, and its HTML.

A queue page of 50 rows spent about a third of its CPU on the rows' HTML: some 1,000 autoescaped
values. A row's HTML depends only on what the row shows (`RowView`: every value its template reads)
and on the table it sits in, so each distinct row is rendered once and its HTML reused: the rows of
a shared queue repeat across reviewers, pages and refreshes, and anything a row shows that changes
(its state, reviewer, SLA wording, whether the viewer may claim it) makes another `RowView`, hence
another rendering. The row template receives nothing else, so nothing outside the key can reach it.
"""

from datetime import datetime
from functools import lru_cache
from typing import NamedTuple

from markupsafe import Markup

from models.enums import ReviewState
from web import sla
from web.templating import TEMPLATES, day

# About 2.5 MB at ~600 bytes a row: several queues' worth of distinct rows.
ROW_CACHE_SIZE = 4096


class RowView(NamedTuple):  # a tuple: made, hashed and compared fast, 50 times a page
    product_id: str
    title: str
    team_id: str
    product_type: str
    state: str
    verdict: str
    assignee_name: str
    # The date a person acts by: the resubmission deadline of a returned product, else the review's due date.
    due_kind: str
    due_day: str
    sla_key: str
    sla_text: str
    can_claim: bool

    @property
    def sla_css(self) -> str:
        return sla.SlaState(self.sla_key, self.sla_text).css


def row_view(r, *, assignee_name: str, sla_state: sla.SlaState, can_claim: bool) -> RowView:
    """`r`: a queue row (store.reviews.queue_rows)."""
    returned = r.state == ReviewState.RETURNED
    due: datetime | None = r.resubmission_due_at if returned else r.due_at
    return RowView(
        r.product_id,
        r.title,
        r.team_id,
        str(r.product_type),
        str(r.state),
        str(r.verdict or ""),
        assignee_name,
        "Resubmit by" if returned else "",
        day(due),
        sla_state.key,
        sla_state.text,
        can_claim,
    )


@lru_cache(maxsize=ROW_CACHE_SIZE)
def row_html(view: RowView, bulk: bool, claim_form: str) -> Markup:
    """The row's <tr>, rendered (autoescaped) from `view` alone. `bulk`: the GCU head's tick box;
    `claim_form`: the id of the table's form its Claim button posts."""
    html = TEMPLATES.env.get_template("_work_row.html").render(v=view, bulk=bulk, claim_form=claim_form)
    return Markup(html)  # the template autoescaped every value


TEMPLATES.env.globals["row_html"] = row_html
