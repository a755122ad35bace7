"""The time bound of a local recording attempt (activities/recording_bound.py)."""

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities import names
from activities.recording_bound import give_up_if_overdue
from models.messages import RecordTransitionsInput


def _attempt(*, is_local: bool, attempt: int, first_at: datetime, bound: timedelta | None) -> None:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, is_local=is_local, attempt=attempt, scheduled_time=first_at)
    inp = RecordTransitionsInput.model_construct(transitions=[], local_give_up_after=bound)
    env.run(give_up_if_overdue, inp)


def test_a_local_attempt_after_the_bound_gives_up_for_good():
    with pytest.raises(ApplicationError) as raised:
        _attempt(
            is_local=True, attempt=4, first_at=datetime.now(UTC) - timedelta(seconds=45), bound=timedelta(seconds=30)
        )
    assert raised.value.type == names.LOCAL_RECORDING_OVERDUE and raised.value.non_retryable
    assert "failed for 45 s (3 attempts)" in raised.value.message


@pytest.mark.parametrize(
    ("is_local", "attempt", "ago", "bound"),
    [
        (True, 4, 10, 30),  # within the bound
        (True, 1, 45, 30),  # a first attempt (after a worker restart) always runs
        (False, 9, 3600, 30),  # the ordinary activity it falls back to retries until the database answers
        (True, 9, 3600, None),  # no bound asked for (an input from before the bound)
    ],
)
def test_other_attempts_run(is_local, attempt, ago, bound):
    _attempt(
        is_local=is_local,
        attempt=attempt,
        first_at=datetime.now(UTC) - timedelta(seconds=ago),
        bound=None if bound is None else timedelta(seconds=bound),
    )
