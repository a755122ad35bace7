"""Custom search attributes of review workflows, so the Temporal Web UI and `queue` can filter by
team, product type, state, assignee and situation.

They must exist in the namespace before a workflow upserts them: `register_search_attributes` adds
the missing ones through the operator service (dev server, time-skipping test server, self-hosted).
Temporal Cloud namespaces are configured in the Cloud console instead.
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


async def register_search_attributes(client, namespace: str = "default") -> list[str]:
    """Add the review search attributes missing from `namespace`; returns the names added.

    Idempotent: attributes that already exist are left alone. Not importable inside workflows
    (client I/O), which is why the imports live here.
    """
    from temporalio.api.enums.v1 import IndexedValueType
    from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest
    from temporalio.service import RPCError, RPCStatusCode

    try:
        listed = await client.operator_service.list_search_attributes(ListSearchAttributesRequest(namespace=namespace))
        existing = set(listed.custom_attributes) | set(listed.system_attributes)
    except RPCError as err:
        # The time-skipping test server implements AddSearchAttributes but not ListSearchAttributes.
        if err.status != RPCStatusCode.UNIMPLEMENTED:
            raise
        existing = set()
    missing = [key.name for key in SEARCH_ATTRIBUTE_KEYS if key.name not in existing]
    if missing:
        try:
            await client.operator_service.add_search_attributes(
                AddSearchAttributesRequest(
                    namespace=namespace,
                    search_attributes={name: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD for name in missing},
                )
            )
        except RPCError as err:
            if err.status != RPCStatusCode.ALREADY_EXISTS:  # another worker registered them first
                raise
    return missing
