"""The `status` query's answer, built from the workflow input and its state."""

from datetime import datetime

from temporalio import workflow

from workflows.sla import is_overdue

with workflow.unsafe.imports_passed_through():
    from models.messages import ReviewStatus, ReviewWorkflowState, SubmitProductInput
    from models.review_policy import rules_from


def build_status(inp: SubmitProductInput, st: ReviewWorkflowState, workflow_id: str, now: datetime) -> ReviewStatus:
    return ReviewStatus(
        product_id=inp.product_id,
        workflow_id=workflow_id,
        state=st.state,
        product_type=inp.product_type,
        team_id=inp.team_id,
        situation=inp.situation,
        author_id=inp.author_id,
        title=st.title,
        version_id=st.version_id,
        version_no=st.version_no,
        version_label=st.version_label,
        assignee=st.assignee,
        due_at=st.due_at,
        resubmission_due_at=st.resubmission_due_at,
        overdue=is_overdue(st, now),
        escalation_level=st.escalation_level,
        verdict=st.verdict,
        pack_version=st.pack_version,
        findings=[f.model_copy() for f in st.findings],
        history=list(st.history),
        last_reviewer=st.last_reviewer,
        decided_by=st.decided_by,
        decided_at=st.decided_at,
        allowed_actions=[t.action for t in rules_from(st.state, str(inp.product_type))],
    )
