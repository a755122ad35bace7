"""The transition table (models/review_states.py) as the workflow's validators read it."""

from models.enums import ReviewAction, ReviewState
from models.review_states import BACK_TO_LAST_REVIEWER, Who, allowed_actions, transition_for


def test_the_assignee_decides_in_review_and_the_head_once_escalated():
    for action in (ReviewAction.APPROVE, ReviewAction.RETURN, ReviewAction.DISMISS_FINDING):
        t = transition_for(action)
        assert t.who_in(ReviewState.IN_REVIEW) == {Who.ASSIGNEE}
        assert t.who_in(ReviewState.ESCALATED) == {Who.GCU_HEAD}


def test_return_to_last_reviewer_is_a_system_assignment_that_leaves_the_head_action_alone():
    assert transition_for(ReviewAction.ASSIGN).who == {Who.GCU_HEAD}
    assert BACK_TO_LAST_REVIEWER.who == {Who.SYSTEM}
    assert BACK_TO_LAST_REVIEWER.allows(ReviewState.PRECHECKED)
    assert ReviewAction.ASSIGN in [t.action for t in allowed_actions(ReviewState.PRECHECKED)]


def test_no_human_action_after_a_final_decision():
    assert allowed_actions(ReviewState.APPROVED) == []
    assert allowed_actions(ReviewState.WITHDRAWN) == []
