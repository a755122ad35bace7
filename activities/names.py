"""Activity names: the only thing workflows know about activities (they never import SQLModel)."""

PRECHECK = "precheck"
RECORD_TRANSITION = "record_transition"
