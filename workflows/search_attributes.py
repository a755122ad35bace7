"""Custom search attributes of review workflows, so the Temporal Web UI and `queue` can filter by
team, product type, state, assignee and situation.

They must exist in the namespace before a workflow upserts them: service/temporal_setup.py adds
the missing ones through the operator service (dev server, time-skipping test server, self-hosted)
and refuses to start a worker on a namespace that lacks them (Temporal Cloud: the Cloud console).
"""

from temporalio.common import SearchAttributeKey, SearchAttributeUpdate

TEAM = SearchAttributeKey.for_keyword("Team")
PRODUCT_TYPE = SearchAttributeKey.for_keyword("ProductType")
REVIEW_STATE = SearchAttributeKey.for_keyword("ReviewState")
ASSIGNEE = SearchAttributeKey.for_keyword("Assignee")
SITUATION = SearchAttributeKey.for_keyword("Situation")

SEARCH_ATTRIBUTE_KEYS: tuple[SearchAttributeKey, ...] = (TEAM, PRODUCT_TYPE, REVIEW_STATE, ASSIGNEE, SITUATION)


def review_search_attributes(
    *, team: str, product_type: str, review_state: str, assignee: str | None, situation: str
) -> list[SearchAttributeUpdate]:
    return [
        TEAM.value_set(team),
        PRODUCT_TYPE.value_set(product_type),
        REVIEW_STATE.value_set(review_state),
        ASSIGNEE.value_set(assignee) if assignee else ASSIGNEE.value_unset(),
        SITUATION.value_set(situation),
    ]
