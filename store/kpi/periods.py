"""Reporting periods: `2026`, `2026-Q1`, `2026-03`, or an explicit --from/--to range."""

import datetime as dt
import re

from pydantic import BaseModel

_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_YEAR = re.compile(r"^(\d{4})$")


class Period(BaseModel):
    label: str
    start: dt.date
    end: dt.date  # inclusive; KPI 12's reporting date


def _month_end(year: int, month: int) -> dt.date:
    first_next = dt.date(year + month // 12, month % 12 + 1, 1)
    return first_next - dt.timedelta(days=1)


def parse_period(text: str) -> Period:
    text = text.strip()
    if m := _QUARTER.match(text):
        year, q = int(m.group(1)), int(m.group(2))
        return Period(label=text, start=dt.date(year, 3 * q - 2, 1), end=_month_end(year, 3 * q))
    if m := _MONTH.match(text):
        year, month = int(m.group(1)), int(m.group(2))
        return Period(label=text, start=dt.date(year, month, 1), end=_month_end(year, month))
    if m := _YEAR.match(text):
        year = int(m.group(1))
        return Period(label=text, start=dt.date(year, 1, 1), end=dt.date(year, 12, 31))
    raise ValueError(f"period {text!r}: expected YYYY, YYYY-Qn or YYYY-MM")


def range_period(start: dt.date, end: dt.date) -> Period:
    if end < start:
        raise ValueError(f"period end {end} is before its start {start}")
    return Period(label=f"{start.isoformat()}..{end.isoformat()}", start=start, end=end)


def containing(kind: str, day: dt.date) -> Period:
    """The calendar quarter, year or month containing `day`."""
    if kind == "year":
        return parse_period(f"{day.year}")
    if kind == "month":
        return parse_period(f"{day.year}-{day.month:02d}")
    return parse_period(f"{day.year}-Q{(day.month - 1) // 3 + 1}")


def previous(period: Period, kind: str) -> Period:
    return containing(kind, period.start - dt.timedelta(days=1))
