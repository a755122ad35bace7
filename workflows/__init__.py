"""Temporal workflows: the product review state machine and its SLA timers (deterministic code only)."""
