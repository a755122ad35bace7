"""The time bound of a transition's local recording (workflows/review.py, patch bounded-local-recording).

A local activity's retries run inside its workflow task, each adding history events while the
review's lock blocks every other action, so the workflow bounds them in time and then hands the
recording to an ordinary activity. It cannot do that with the local activity's own
schedule-to-close timeout alone: on this SDK (temporalio 1.35, sdk-core's local activity manager) that
timeout is one timer started with the first attempt, and when it fires while the activity is backing
off between two quick failures (a refused connection fails in milliseconds) it finds no attempt in
flight and is dropped; the retries go on for ever (measured: a 6 s schedule-to-close, still retrying
after 25 s and 13 attempts). The timer does end an attempt that hangs. So the workflow sets both,
and each attempt first checks the time since the first one, which the worker keeps in
`activity.info().scheduled_time` across local retries.
"""

from datetime import UTC, datetime

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.names import LOCAL_RECORDING_OVERDUE
from models.messages import RecordTransitionsInput


def give_up_if_overdue(inp: RecordTransitionsInput) -> None:
    """Raise a non-retryable LOCAL_RECORDING_OVERDUE error when this local attempt starts after the
    input's bound (measured from the first attempt); nothing for an ordinary activity."""
    bound = inp.local_give_up_after
    info = activity.info()
    if bound is None or not info.is_local or info.attempt <= 1:
        return
    elapsed = datetime.now(UTC) - info.scheduled_time
    if elapsed > bound:
        raise ApplicationError(
            f"the local recording has failed for {elapsed.total_seconds():.0f} s ({info.attempt - 1} attempts); "
            "handed to an ordinary activity",
            type=LOCAL_RECORDING_OVERDUE,
            non_retryable=True,
        )
