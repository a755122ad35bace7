"""The transition table (models/review_policy.py) as the workflow's validators read it."""

from models.enums import ReviewAction, ReviewState, StaffRole
from models.review_policy import BACK_TO_LAST_REVIEWER, Party, rule_for, rules_from


def test_the_assignee_decides_in_review_and_the_head_once_escalated():
    for action in (ReviewAction.APPROVE, ReviewAction.RETURN, ReviewAction.DISMISS_FINDING):
        t = rule_for(action)
        assert t.who_in(ReviewState.IN_REVIEW) == {Party.ASSIGNEE}
        assert t.who_in(ReviewState.ESCALATED) == {StaffRole.GCU_HEAD}


def test_return_to_last_reviewer_is_a_system_assignment_that_leaves_the_head_action_alone():
    assert rule_for(ReviewAction.ASSIGN).who == {StaffRole.GCU_HEAD}
    assert BACK_TO_LAST_REVIEWER.who == {Party.SYSTEM}
    assert BACK_TO_LAST_REVIEWER.allows(ReviewState.PRECHECKED)
    assert ReviewAction.ASSIGN in [t.action for t in rules_from(ReviewState.PRECHECKED)]


def test_no_human_action_after_a_final_decision():
    assert rules_from(ReviewState.APPROVED) == []
    assert rules_from(ReviewState.WITHDRAWN) == []
