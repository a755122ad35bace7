"""Figures worked out from the register alone, kept until the register changes.

KPI 12 and the certification gaps judge every person's records (seconds at 50,000 people), and
every reviewer action resolves its actor (four queries), while the register changes a few times a
week. RegisterRevision holds a
number that database triggers replace with every change to staff, teams, team members,
certificates and briefings, in the changing transaction (migration 0009r): what was worked out
under one number is still right while the number is the same.

The number is read before the register, so a change committed in between can only make kept
figures newer than their number says (the next call then works them out again), never older. A
database without the number (not migrated) keeps nothing.
"""

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

import sqlalchemy as sa
from sqlmodel import Session

from store.roster_view import revision_query

T = TypeVar("T")

SIZE = 512  # entries under one revision: the people who act; dates, scopes and pages of the reports


class _Kept:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.revision: int | None = None
        self.entries: OrderedDict[Hashable, object] = OrderedDict()


# Per engine (per database): two databases copied from one template share a revision number.
_kept: "weakref.WeakKeyDictionary[sa.Engine, _Kept]" = weakref.WeakKeyDictionary()
_kept_lock = threading.Lock()


def _kept_of(session: Session) -> _Kept:
    bind = session.get_bind()
    engine = bind.engine if isinstance(bind, sa.Connection) else bind
    with _kept_lock:
        kept = _kept.get(engine)
        if kept is None:
            kept = _kept[engine] = _Kept()
        return kept


def kept_for_register(session: Session, key: Hashable, work_out: Callable[[], T]) -> T:
    """`work_out()`, or what it returned for the same `key` under the register's current revision.
    The value is shared between callers: it must not be changed (copy it to change it)."""
    kept = _kept_of(session)
    revision = session.execute(revision_query()).scalar_one_or_none()
    with kept.lock:
        if revision is not None and revision == kept.revision and key in kept.entries:
            kept.entries.move_to_end(key)
            return kept.entries[key]  # type: ignore[return-value]
    value = work_out()
    if revision is not None:
        with kept.lock:
            if revision != kept.revision:
                kept.revision, kept.entries = revision, OrderedDict()
            kept.entries[key] = value
            while len(kept.entries) > SIZE:
                kept.entries.popitem(last=False)
    return value


def forget_all() -> None:
    """Drop everything kept (benchmarks time the work itself, not the lookup)."""
    with _kept_lock:
        for kept in _kept.values():
            with kept.lock:
                kept.revision, kept.entries = None, OrderedDict()
