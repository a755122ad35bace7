"""Activity names: the only thing workflows know about activities (they never import SQLModel)."""

PRECHECK = "precheck"
RECORD_TRANSITION = "record_transition"  # one per activity: reviews started before record_transitions
RECORD_TRANSITIONS = "record_transitions"
