"""The known dataset of the summary tests; the expected figures are worked out by hand below.

Period: Monday 2026-03-02 to Sunday 2026-03-08; summary made 2026-03-09 07:00 UTC.
DP-1 has teams TA and TB; DP-2 has TC, which must not show anywhere in DP-1's summary.

TA  PA1  v1 03-02 (R-1 blocking, R-2 major, R-9 advisory) returned 03-03; v2 03-04 (R-2 major) approved 03-05
    PA2  v1 03-05 (R-1 blocking open, R-3 minor), in review, due 03-06 12:00 -> overdue 2 days, 1 open blocking
    PA3  v1 02-20 (R-1 blocking open), returned 02-25 (before the period) -> 1 open blocking
    PA4  v1 03-06 (R-1 blocking dismissed), withdrawn
TB  PB1  v1 03-08 23:30 (R-2 major), approved 03-09 01:00 (after the period: not counted)
    PB2  v1 03-01 (R-1 blocking open), returned 03-08 23:59:59 -> reviewed/returned, 1 open blocking
    PB3  v1 02-27, escalated 03-04 (not a decision), due 03-01 12:00 -> overdue 7 days
TC  PC1  v1 03-03 (R-1 blocking open), approved 03-04, in review and overdue: DP-2's

Expected for DP-1:
  TA: reviewed 1 (PA1), approved 1, returned 1, open blocking 2 (PA2, PA3), overdue 1 (PA2)
  TB: reviewed 1 (PB2), approved 0, returned 1, open blocking 1 (PB2), overdue 1 (PB3)
  totals 2 / 1 / 2 / 3 / 2
  findings on versions submitted in the period (PA1v1, PA1v2, PA2v1, PA4v1, PB1v1), advisory excluded:
    R-1 3 findings on 3 products, R-2 3 findings on 2 products, R-3 1 on 1
  overdue list: PB3 (7 days), then PA2 (2 days)
  KPI 12 (2026-Q1, staff of TA and TB): LA and IA1 certified, IA2 and LB not -> 2/4 = 50%
  certification gaps: IA2 CAC_BASIC missing, LB SGBC_BASIC expired
  SPU indicator (2026-Q1): interview records IRA1 (TA, with support; a child SGBC survivor), IRA2 (TA,
  without; a child), IRC1 (TC, DP-2's; LGBTQI+), all in situation Velmora: for DP-1 by category child
  1/2 and sgbc_survivor 1/1
    -> 1/2 = 50%
"""

import datetime as dt

from sqlmodel import Session

from models.spu_tables import InterviewRecordFacts
from models.summary_messages import SummaryPeriod
from tests.summaries import factories as f

PERIOD = SummaryPeriod(start=dt.date(2026, 3, 2), end=dt.date(2026, 3, 8))
AS_OF = f.at(dt.date(2026, 3, 9), 7)
D = dt.date


def build(s: Session, *, dp_email: str | None = "dp1@example.org") -> None:
    f.staff(s, "DP-1", ["deputy_prosecutor"], email=dp_email, name="Amina Deputy")
    f.staff(s, "DP-2", ["deputy_prosecutor"], email="dp2@example.org")
    for sid, roles in [
        ("LA", ["team_leader"]),
        ("IA1", ["investigator"]),
        ("IA2", ["investigator"]),
        ("LB", ["team_leader"]),
        ("LC", ["team_leader"]),
    ]:
        f.staff(s, sid, roles)
    f.team(s, "TA", "DP-1", leader="LA", members=["IA1", "IA2"])
    f.team(s, "TB", "DP-1", leader="LB")
    f.team(s, "TC", "DP-2", leader="LC")
    for sid in ("LA", "IA1"):
        f.cert(s, sid, "SGBC_BASIC", D(2025, 1, 1), D(2028, 12, 31))
        f.cert(s, sid, "CAC_BASIC", D(2025, 1, 1), D(2028, 12, 31))
    f.cert(s, "IA2", "SGBC_BASIC", D(2025, 1, 1), D(2028, 12, 31))
    f.cert(s, "LB", "SGBC_BASIC", D(2023, 2, 1), D(2026, 1, 31))
    f.cert(s, "LB", "CAC_BASIC", D(2025, 1, 1), D(2028, 12, 31))

    v = f.version(
        s,
        "PA1",
        "TA",
        f.at(D(2026, 3, 2), 10),
        [("R-1", "blocking", "resolved"), ("R-2", "major", "resolved"), ("R-9", "advisory", "open")],
    )
    f.decide(s, v, "return", f.at(D(2026, 3, 3)))
    v = f.version(s, "PA1", "TA", f.at(D(2026, 3, 4)), [("R-2", "major", "open")])
    f.decide(s, v, "approve", f.at(D(2026, 3, 5)))
    f.review(s, "PA1", "TA", "approved")

    f.version(s, "PA2", "TA", f.at(D(2026, 3, 5)), [("R-1", "blocking", "open"), ("R-3", "minor", "open")])
    f.review(s, "PA2", "TA", "in_review", due_at=f.at(D(2026, 3, 6)))

    v = f.version(s, "PA3", "TA", f.at(D(2026, 2, 20)), [("R-1", "blocking", "open")])
    f.decide(s, v, "return", f.at(D(2026, 2, 25)))
    f.review(s, "PA3", "TA", "returned")

    f.version(s, "PA4", "TA", f.at(D(2026, 3, 6)), [("R-1", "blocking", "dismissed")])
    f.review(s, "PA4", "TA", "withdrawn")

    v = f.version(s, "PB1", "TB", f.at(D(2026, 3, 8), 23, 30), [("R-2", "major", "open")])
    f.decide(s, v, "approve", f.at(D(2026, 3, 9), 1))
    f.review(s, "PB1", "TB", "approved")

    v = f.version(s, "PB2", "TB", f.at(D(2026, 3, 1)), [("R-1", "blocking", "open")])
    f.decide(s, v, "return", f.at(D(2026, 3, 8), 23, 59, 59))
    f.review(s, "PB2", "TB", "returned")

    v = f.version(s, "PB3", "TB", f.at(D(2026, 2, 27)))
    f.decide(s, v, "escalate", f.at(D(2026, 3, 4)))
    f.review(s, "PB3", "TB", "escalated", due_at=f.at(D(2026, 3, 1)))

    v = f.version(s, "PC1", "TC", f.at(D(2026, 3, 3)), [("R-1", "blocking", "open")])
    f.decide(s, v, "approve", f.at(D(2026, 3, 4)))
    f.review(s, "PC1", "TC", "in_review", due_at=f.at(D(2026, 3, 5)))

    for pid, team, supported, categories in (
        ("IRA1", "TA", True, ["child", "sgbc_survivor"]),
        ("IRA2", "TA", False, ["child"]),
        ("IRC1", "TC", True, ["lgbtqi"]),
    ):
        v = f.version(s, pid, team, f.at(D(2026, 2, 10)))
        s.add(
            InterviewRecordFacts(
                product_id=pid,
                version_no=v.version_no,
                version_id=v.id,
                team_id=team,
                situation="Velmora",
                record_date=D(2026, 2, 5),
                period_date=D(2026, 2, 5),
                submitted_on=D(2026, 2, 10),
                witness_key=pid,
                vulnerable=True,
                categories=categories,
                support_during="present" if supported else "none",
                supported=supported,
                needs_all_met=True,
            )
        )
    s.commit()
