"""The transition table's older names. The table itself, and every decision made from it, lives in
models/review_policy.py; these names stay for callers that read the transitions only."""

from models.enums import ReviewAction, ReviewState
from models.review_policy import (  # noqa: F401 (re-exported)
    AUTOMATIC_RULES as AUTOMATIC_TRANSITIONS,
    BACK_TO_LAST_REVIEWER,
    COMMENT_MAX_CHARS,
    RULES as TRANSITIONS,
    Party,
    Rule,
    Transition,
    rule_for,
    rules_from,
)


def transition_for(action: ReviewAction) -> Transition:
    return rule_for(action)


def allowed_actions(state: ReviewState) -> list[Transition]:
    """Human actions that the table allows from `state`, whoever asks (for the status and CLI help)."""
    return rules_from(state)
