"""Activity names shared by the workflow (which references activities by name only, so it never
imports I/O code into the sandbox) and the worker (which registers the implementations)."""

PRECHECK = "precheck"
RECORD_TRANSITION = "record_transition"
