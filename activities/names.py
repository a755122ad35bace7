"""Activity names: the only thing workflows know about activities (they never import SQLModel)."""

PRECHECK = "precheck"
RECORD_TRANSITION = "record_transition"  # one per activity: reviews started before record_transitions
RECORD_TRANSITIONS = "record_transitions"
# The error type of a local recording attempt that starts after its time bound (activities/recording_bound.py):
# the workflow falls back to an ordinary activity on it, where any other non-retryable error is a refusal.
LOCAL_RECORDING_OVERDUE = "LocalRecordingOverdue"
