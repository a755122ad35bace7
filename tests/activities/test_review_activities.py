"""ReviewActivities on a real database (SQLite, and PostgreSQL when TEST_POSTGRES_URL is set),
run through temporalio's ActivityEnvironment."""

import asyncio
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from ruamel.yaml import YAML
from sqlmodel import func, select
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.review import ReviewActivities
from models.enums import NotificationKind, ReviewAction, ReviewState, Severity, Verdict
from models.findings import CheckResult, verdict_for
from models.findings import Finding as EngineFinding
from models.messages import (
    NotificationRequest,
    NotifyTarget,
    PrecheckInput,
    RecordTransitionInput,
    RecordTransitionsInput,
    ReviewWorkflowState,
    TransitionRecord,
)
from models.tables import AuditEvent, Certification, Decision, Finding, Notification, ProductVersion, Staff, Team
from settings import Settings
from store.audit import verify_chain
from store.db import make_engine, session_scope
from store.errors import ProductLocked
from store.findings import list_for_version, to_view
from store.notifications import list_for
from store.reviews import get_review
from store.roster_import import import_roster
from tests.dbutil import database_kinds, fresh_database, uid
from tests.store.factories import load_of, new_version, seed_register, small_roster

SAMPLES = Path("/work/shared/domain/samples")
# The active pack is contract v2: the v1 dev samples are judged by their v2 key.
V1_UNDER_V2_KEY = Path(__file__).resolve().parents[1] / "fixtures" / "samples_v2" / "expected-v1-samples-under-v2.yaml"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class ScriptedEngine:
    """A rules engine whose findings are written in the product text, one `FIRE: RULE-ID severity` line
    each, so that a test decides exactly which rules fire on which version."""

    pack_version = "scripted-1"

    def __init__(self) -> None:
        self.calls = 0
        self.rosters = []

    def check_text(self, text, roster, file="<memory>"):
        self.calls += 1
        self.rosters.append(roster)
        found = [
            EngineFinding(
                rule_id=rule,
                severity=Severity(sev),
                message=f"{rule} fired",
                citation="Policy §1",
                location="product",
                pack_version=self.pack_version,
            )
            for rule, sev in (line.split()[1:3] for line in text.splitlines() if line.startswith("FIRE:"))
        ]
        return CheckResult(file=file, verdict=verdict_for(found), findings=found, pack_version=self.pack_version)


@pytest.fixture
def env():
    return ActivityEnvironment()


def _activities(engine, rules_engine=None) -> ReviewActivities:
    factory = (lambda: rules_engine) if rules_engine is not None else None
    return ReviewActivities(db_engine=engine, settings=Settings(), rules_engine_factory=factory)


def _count(engine, table, *where) -> int:
    with session_scope(engine) as session:
        return session.exec(select(func.count()).select_from(table).where(*where)).one()


def _precheck_input(version) -> PrecheckInput:
    return PrecheckInput(
        workflow_id=f"product-review-{version.product_id}",
        product_id=version.product_id,
        version_id=version.id,
        version_no=version.version_no,
    )


# ---------------------------------------------------------------- precheck


@pytest.fixture(scope="module", params=database_kinds())
def sample_db(request, tmp_path_factory, template_databases):
    """The dev register of the samples, imported once: these tests only add products."""
    rules_roster = pytest.importorskip("rules.roster")
    kind = request.param
    with fresh_database(kind, tmp_path_factory.mktemp(kind), template=template_databases[kind]) as url:
        engine = make_engine(url)
        with session_scope(engine) as session:
            import_roster(session=session, load=rules_roster.load_roster(SAMPLES / "roster.yaml"))
        yield engine
        engine.dispose()


@pytest.mark.parametrize("sample", sorted(p.name for p in SAMPLES.glob("S*.md")))
async def test_precheck_finds_what_the_answer_key_expects(sample_db, env, sample):
    key = YAML(typ="safe").load(V1_UNDER_V2_KEY.read_text())["files"][sample]
    with session_scope(sample_db) as session:
        version = new_version(session, product_type=key["type"], text=(SAMPLES / sample).read_text())
    result = await env.run(_activities(sample_db).precheck, _precheck_input(version))
    got = {f.rule_id: str(f.severity) for f in result.findings}
    assert set(got) - set(key["optional"] or []) == set(key["expected"])
    assert {r: got[r] for r in key["expected"]} == key["severity"]
    assert result.verdict == Verdict(key["verdict"])
    assert all(f.finding_id == f"{version.product_id}:v1:{f.rule_id}" for f in result.findings)
    with session_scope(sample_db) as session:
        stored = session.get(ProductVersion, version.id)
        assert (stored.verdict, stored.pack_version) == (key["verdict"], result.pack_version)
    assert _count(sample_db, Finding, Finding.version_id == version.id) == len(key["expected"])


async def test_a_version_prechecked_with_pack_1_keeps_it_when_its_precheck_runs_again(sample_db, env):
    # S2 is clean under pack 1.0.0 and `revise` under the active 2.0.0 (VUL-INT-02, LANG-04).
    with session_scope(sample_db) as session:
        version = new_version(session, product_type="IO", text=(SAMPLES / "S2-IO-child-compliant.md").read_text())
        version.pack_version = "1.0.0"  # judged by pack 1.0.0 before the active pack changed
    kept = await env.run(_activities(sample_db).precheck, _precheck_input(version))
    assert (kept.pack_version, kept.verdict, kept.findings) == ("1.0.0", Verdict.CLEAN, [])
    with session_scope(sample_db) as session:
        fresh = new_version(session, product_type="IO", text=(SAMPLES / "S2-IO-child-compliant.md").read_text())
    active = await env.run(_activities(sample_db).precheck, _precheck_input(fresh))
    assert (active.pack_version, active.verdict) == ("2.0.0", Verdict.REVISE)
    assert {f.rule_id: f.pack_version for f in active.findings} == {"VUL-INT-02": "2.0.0", "LANG-04": "2.0.0"}


async def test_an_interview_record_is_prechecked_with_the_active_pack_and_is_not_kpi_10_relevant(sample_db, env):
    from models.kpi_tables import ProductFacts

    record = (V1_UNDER_V2_KEY.parent / "V4-IR-child-survivor-compliant.md").read_text()
    with session_scope(sample_db) as session:
        version = new_version(session, product_type="IR", team_id="T-GANNET", text=record)
    result = await env.run(_activities(sample_db).precheck, _precheck_input(version))
    assert result.pack_version == "2.0.0" and result.verdict != Verdict.FORMAT_ERROR and not result.format_errors
    with session_scope(sample_db) as session:
        facts = session.exec(select(ProductFacts).where(ProductFacts.version_id == version.id)).one()
        assert (facts.product_type, facts.relevant) == ("IR", False)


async def test_a_retried_precheck_writes_no_finding_twice_and_keeps_dismissals(engine, env):
    scripted = ScriptedEngine()
    acts = _activities(engine, scripted)
    with session_scope(engine) as session:
        version = new_version(session, text="FIRE: GEN-IP-05 major\nFIRE: LANG-03 minor\n")
    first = await env.run(acts.precheck, _precheck_input(version))
    with session_scope(engine) as session:
        row = session.exec(select(Finding).where(Finding.finding_id == f"{version.product_id}:v1:LANG-03")).one()
        row.state, row.dismissal_reason = "dismissed", "quoted legal definition"
    again = await env.run(acts.precheck, _precheck_input(version))
    assert scripted.calls == 2
    assert [f.finding_id for f in again.findings] == [f.finding_id for f in first.findings]
    assert _count(engine, Finding, Finding.version_id == version.id) == 2
    assert {f.rule_id: str(f.state) for f in again.findings} == {"GEN-IP-05": "open", "LANG-03": "dismissed"}


async def test_a_precheck_reads_the_register_as_it_is_and_builds_it_again_only_after_a_change(engine, env):
    scripted = ScriptedEngine()
    acts = _activities(engine, scripted)
    with session_scope(engine) as session:
        prefix = seed_register(session)
        versions = [new_version(session, text="no findings") for _ in range(3)]
    await env.run(acts.precheck, _precheck_input(versions[0]))
    await env.run(acts.precheck, _precheck_input(versions[1]))
    assert scripted.rosters[1] is scripted.rosters[0]  # nothing changed: the register built for the first
    with session_scope(engine) as session:
        session.add(
            Certification(
                staff_id=f"{prefix}-11", cert="CAC_BASIC", issued=date(2026, 11, 1), expires=date(2029, 10, 31)
            )
        )
    await env.run(acts.precheck, _precheck_input(versions[2]))
    assert scripted.rosters[2] is not scripted.rosters[0]
    assert (f"{prefix}-11", "CAC_BASIC") in {(c.staff_id, c.cert) for c in scripted.rosters[2].certifications}
    assert (f"{prefix}-11", "CAC_BASIC") not in {(c.staff_id, c.cert) for c in scripted.rosters[0].certifications}


async def test_findings_that_no_longer_fire_on_a_new_version_are_resolved(engine, env):
    acts = _activities(engine, ScriptedEngine())
    product_id = uid("P")
    with session_scope(engine) as session:
        v1 = new_version(session, product_id=product_id, text="FIRE: GEN-IP-05 major\nFIRE: LANG-03 minor\n")
    await env.run(acts.precheck, _precheck_input(v1))
    with session_scope(engine) as session:
        v2 = new_version(session, product_id=product_id, text="FIRE: LANG-03 minor\n")
    result = await env.run(acts.precheck, _precheck_input(v2))
    assert [f.finding_id for f in result.findings] == [f"{product_id}:v2:LANG-03"]
    assert result.verdict == Verdict.APPROVABLE_WITH_NOTES
    with session_scope(engine) as session:
        old = {f.rule_id: f.state for f in session.exec(select(Finding).where(Finding.version_id == v1.id))}
    assert old == {"GEN-IP-05": "resolved", "LANG-03": "open"}


async def test_a_precheck_answers_the_findings_as_stored_and_a_rerun_answers_the_same(engine, env):
    acts = _activities(engine, ScriptedEngine())
    with session_scope(engine) as session:
        version = new_version(session, text="FIRE: LANG-03 minor\nFIRE: GEN-IP-05 major\nFIRE: CAC-02 advisory\n")
    first = await env.run(acts.precheck, _precheck_input(version))
    again = await env.run(acts.precheck, _precheck_input(version))  # an activity retry
    with session_scope(engine) as session:
        stored = [to_view(row) for row in list_for_version(session=session, version_id=version.id)]
    assert first.findings == stored == again.findings
    assert [f.rule_id for f in stored] == ["LANG-03", "GEN-IP-05", "CAC-02"]  # in the order written


async def test_a_file_that_is_not_utf8_is_a_format_error(engine, env):
    acts = _activities(engine, ScriptedEngine())
    with session_scope(engine) as session:
        version = new_version(session, text="ok")
        version.content = b"---\nproduct:\n  title: caf\xe9\n"
    result = await env.run(acts.precheck, _precheck_input(version))
    assert result.verdict == Verdict.FORMAT_ERROR
    assert result.format_errors == ["line 3: not valid UTF-8"]
    assert result.findings == []


async def test_precheck_of_a_version_that_does_not_exist_fails_without_retry(engine, env):
    with pytest.raises(ApplicationError, match="no stored version") as raised:
        await env.run(
            _activities(engine, ScriptedEngine()).precheck,
            PrecheckInput(workflow_id="wf", product_id="NOPE", version_id=987654, version_no=1),
        )
    assert raised.value.non_retryable


# ---------------------------------------------------------------- record_transition


def _transition_input(
    version,
    seq,
    action,
    to_state,
    *,
    actor=None,
    reason=None,
    details=None,
    assignee=None,
    notifications=(),
    from_state=None,
    at=None,
    last_reviewer=None,
) -> RecordTransitionInput:
    at = at or T0 + timedelta(hours=seq)
    return RecordTransitionInput(
        workflow_id=f"product-review-{version.product_id}",
        product_id=version.product_id,
        version_id=version.id,
        transition=TransitionRecord(
            seq=seq,
            action=action,
            actor_id=actor,
            from_state=from_state,
            to_state=to_state,
            reason=reason,
            at=at,
            details=details or {},
        ),
        state_after=ReviewWorkflowState(
            state=to_state,
            version_id=version.id,
            version_no=version.version_no,
            version_label="1.0",
            title="t",
            assignee=assignee,
            last_reviewer=last_reviewer,
            due_at=T0 + timedelta(days=14),
            verdict=Verdict.REVISE,
            escalation_level=0,
        ),
        notifications=list(notifications),
    )


def _recipients(engine, audit_event_id) -> list[str]:
    with session_scope(engine) as session:
        rows = session.exec(select(Notification).where(Notification.audit_event_id == audit_event_id))
        return sorted(n.recipient_id for n in rows)


async def test_recording_the_same_transition_twice_writes_one_event_and_one_notification_each(engine, env):
    with session_scope(engine) as session:
        p = seed_register(session)
        version = new_version(session, team_id=f"{p}-TEAM", author_id=f"{p}-03")
    acts = _activities(engine)
    request = NotificationRequest(
        kind=NotificationKind.ASSIGNMENT,
        subject="Assigned to you",
        targets=[NotifyTarget(relation="assignee"), NotifyTarget(relation="author")],
    )
    data = _transition_input(
        version,
        1,
        ReviewAction.ASSIGN,
        ReviewState.IN_REVIEW,
        actor=f"{p}-GH",
        assignee=f"{p}-GR",
        notifications=[request],
    )
    first = await env.run(acts.record_transition, data)
    retry = await env.run(acts.record_transition, data)
    assert (first.created, first.notifications_created) == (True, 2)
    assert (retry.created, retry.notifications_created, retry.audit_event_id) == (False, 0, first.audit_event_id)
    workflow_id = f"product-review-{version.product_id}"
    assert _count(engine, AuditEvent, AuditEvent.workflow_id == workflow_id) == 1
    assert _recipients(engine, first.audit_event_id) == [f"{p}-03", f"{p}-GR"]


async def test_the_review_projection_follows_the_workflow_state(engine, env):
    with session_scope(engine) as session:
        p = seed_register(session)
        version = new_version(session, team_id=f"{p}-TEAM", situation="Situation in Velmora")
    await env.run(
        _activities(engine).record_transition,
        _transition_input(
            version,
            1,
            ReviewAction.CLAIM,
            ReviewState.IN_REVIEW,
            actor=f"{p}-GR",
            assignee=f"{p}-GR",
            from_state=ReviewState.QUEUED,
        ),
    )
    with session_scope(engine) as session:
        review = get_review(session=session, product_id=version.product_id)
    assert (review.state, review.assignee_id, review.verdict, review.team_id) == (
        "in_review",
        f"{p}-GR",
        "revise",
        f"{p}-TEAM",
    )
    assert review.due_at == T0 + timedelta(days=14)
    assert review.workflow_id == f"product-review-{version.product_id}"


async def test_notify_relations_resolve_from_the_register_and_skip_the_actor(fresh_engine, env):
    with session_scope(fresh_engine) as session:
        import_roster(session=session, load=load_of(small_roster("N")))
        version = new_version(session, team_id="N-TEAM", author_id="N-03")
    acts = _activities(fresh_engine)
    cases = {
        "team": ["N-01", "N-02", "N-11"],  # team staff without the actor N-03
        "team_leader": ["N-01"],
        "gcu_head": ["N-GH"],
        "gcu_reviewers": ["N-GR"],
        "team_dp": ["N-DP"],
        "author": [],  # the author is the actor
    }
    for seq, (relation, expected) in enumerate(cases.items(), start=1):
        request = NotificationRequest(
            kind=NotificationKind.QUEUED, subject=relation, targets=[NotifyTarget(relation=relation)]
        )
        result = await env.run(
            acts.record_transition,
            _transition_input(
                version, seq, ReviewAction.COMMENT, ReviewState.QUEUED, actor="N-03", notifications=[request]
            ),
        )
        assert _recipients(fresh_engine, result.audit_event_id) == expected, relation


async def test_without_a_team_deputy_prosecutor_every_deputy_prosecutor_is_told(fresh_engine, env):
    roster = small_roster("D")
    roster.teams[0].deputy_prosecutor = None
    with session_scope(fresh_engine) as session:
        import_roster(session=session, load=load_of(roster))
        version = new_version(session, team_id="D-TEAM", author_id="D-03")
    request = NotificationRequest(
        kind=NotificationKind.ESCALATION,
        subject="Overdue",
        targets=[
            NotifyTarget(relation="team_dp"),
            NotifyTarget(staff_id="D-DP"),
            NotifyTarget(staff_id="NOT-IN-REGISTER"),
        ],
    )
    result = await env.run(
        _activities(fresh_engine).record_transition,
        _transition_input(
            version, 1, ReviewAction.DP_ESCALATION, ReviewState.IN_REVIEW, notifications=[request, request]
        ),
    )
    assert result.notifications_created == 1
    assert _recipients(fresh_engine, result.audit_event_id) == ["D-DP"]
    with session_scope(fresh_engine) as session:
        assert [n.subject for n in list_for(session=session, recipient_id="D-DP")] == ["Overdue"]


async def test_an_unknown_relation_fails_without_writing_anything(engine, env):
    with session_scope(engine) as session:
        version = new_version(session)
    request = NotificationRequest(kind=NotificationKind.QUEUED, subject="x", targets=[NotifyTarget(relation="friends")])
    with pytest.raises(ApplicationError, match="unknown notification relation 'friends'"):
        await env.run(
            _activities(engine).record_transition,
            _transition_input(version, 1, ReviewAction.ENQUEUE, ReviewState.QUEUED, notifications=[request]),
        )
    assert _count(engine, AuditEvent, AuditEvent.workflow_id == f"product-review-{version.product_id}") == 0


@pytest.mark.parametrize("who", ["not in the register", "deactivated"])
async def test_an_action_by_someone_not_active_in_the_register_is_refused_and_nothing_written(engine, env, who):
    with session_scope(engine) as session:
        prefix = seed_register(session)
        version = new_version(session)
        actor = "ZZ-99"
        if who == "deactivated":
            actor = f"{prefix}-GR"
            session.get(Staff, actor).active = False
    with pytest.raises(ApplicationError, match=f"{actor} is not an active person of the register") as refused:
        await env.run(
            _activities(engine).record_transitions,
            RecordTransitionsInput(
                transitions=[
                    _transition_input(
                        version, 1, ReviewAction.CLAIM, ReviewState.IN_REVIEW, actor=actor, assignee=actor
                    )
                ]
            ),
        )
    assert (refused.value.type, refused.value.non_retryable) == ("UnknownActor", True)
    assert _count(engine, AuditEvent, AuditEvent.workflow_id == f"product-review-{version.product_id}") == 0


async def test_dismissing_a_finding_records_who_why_and_when(engine, env):
    acts = _activities(engine, ScriptedEngine())
    with session_scope(engine) as session:
        reviewer = f"{seed_register(session)}-GR"
        version = new_version(session, text="FIRE: LANG-03 major\n")
    await env.run(acts.precheck, _precheck_input(version))
    await env.run(
        acts.record_transition,
        _transition_input(
            version,
            1,
            ReviewAction.DISMISS_FINDING,
            ReviewState.IN_REVIEW,
            actor=reviewer,
            reason="The term is quoted from the statute",
            details={"rule_id": "LANG-03"},
        ),
    )
    with session_scope(engine) as session:
        row = session.exec(select(Finding).where(Finding.version_id == version.id)).one()
    assert (row.state, row.dismissed_by, row.dismissal_reason) == (
        "dismissed",
        reviewer,
        "The term is quoted from the statute",
    )
    assert row.dismissed_at == T0 + timedelta(hours=1)


async def test_decisions_are_recorded_and_approval_locks_the_version(engine, env):
    acts = _activities(engine)
    product_id = uid("P")
    with session_scope(engine) as session:
        reviewer = f"{seed_register(session)}-GR"
        version = new_version(session, product_id=product_id)
    await env.run(
        acts.record_transition,
        _transition_input(
            version,
            1,
            ReviewAction.RETURN,
            ReviewState.RETURNED,
            actor=reviewer,
            reason="Add the vulnerability section",
        ),
    )
    approved = await env.run(
        acts.record_transition,
        _transition_input(version, 2, ReviewAction.APPROVE, ReviewState.APPROVED, actor=reviewer),
    )
    with session_scope(engine) as session:
        decisions = session.exec(select(Decision).where(Decision.product_id == product_id).order_by(Decision.id)).all()
        assert session.get(ProductVersion, version.id).locked
    assert [(d.decision, d.reason) for d in decisions] == [
        ("return", "Add the vulnerability section"),
        ("approve", None),
    ]
    assert decisions[1].audit_event_id == approved.audit_event_id
    with pytest.raises(ProductLocked), session_scope(engine) as session:
        new_version(session, product_id=product_id)


async def test_concurrent_transitions_of_many_workflows_keep_one_valid_chain(fresh_engine, env):
    acts = _activities(fresh_engine)
    with session_scope(fresh_engine) as session:
        versions = [new_version(session) for _ in range(12)]
    inputs = [_transition_input(v, seq, ReviewAction.REMINDER, ReviewState.QUEUED) for v in versions for seq in (1, 2)]
    results = await asyncio.gather(*(env.run(acts.record_transition, i) for i in inputs + inputs[:6]))
    assert sum(r.created for r in results) == len(inputs)
    with session_scope(fresh_engine) as session:
        report = verify_chain(session=session)
    assert report.ok, report.problem
    assert report.checked == len(inputs)


# ---------------------------------------------------------------- record_transitions (batches)


def _batch(*items: RecordTransitionInput) -> RecordTransitionsInput:
    return RecordTransitionsInput(transitions=list(items))


async def test_a_precheck_and_its_routing_are_recorded_in_order_in_one_call(engine, env):
    with session_scope(engine) as session:
        p = seed_register(session)
        version = new_version(session, team_id=f"{p}-TEAM", author_id=f"{p}-03")
    queued = NotificationRequest(
        kind=NotificationKind.QUEUED, subject="In the GCU queue", targets=[NotifyTarget(relation="author")]
    )
    batch = _batch(
        _transition_input(version, 1, ReviewAction.PRECHECK, ReviewState.PRECHECKED, from_state=ReviewState.SUBMITTED),
        _transition_input(
            version,
            2,
            ReviewAction.ENQUEUE,
            ReviewState.QUEUED,
            from_state=ReviewState.PRECHECKED,
            notifications=[queued],
        ),
    )
    first = await env.run(_activities(engine).record_transitions, batch)
    retry = await env.run(_activities(engine).record_transitions, batch)
    assert [(r.created, r.notifications_created) for r in first.results] == [(True, 0), (True, 1)]
    assert first.results[0].audit_event_id < first.results[1].audit_event_id
    assert [(r.created, r.audit_event_id) for r in retry.results] == [(False, r.audit_event_id) for r in first.results]
    with session_scope(engine) as session:
        events = session.exec(
            select(AuditEvent).where(AuditEvent.product_id == version.product_id).order_by(AuditEvent.id)
        ).all()
        review = get_review(session=session, product_id=version.product_id)
    assert [(e.action, e.to_state) for e in events] == [("precheck", "prechecked"), ("enqueue", "queued")]
    assert review.state == "queued"  # the state after the last transition of the batch
    assert _recipients(engine, first.results[1].audit_event_id) == [f"{p}-03"]


async def test_a_batch_that_fails_part_way_writes_none_of_it(engine, env):
    with session_scope(engine) as session:
        version = new_version(session)
    bad = NotificationRequest(kind=NotificationKind.QUEUED, subject="x", targets=[NotifyTarget(relation="friends")])
    batch = _batch(
        _transition_input(version, 1, ReviewAction.PRECHECK, ReviewState.PRECHECKED),
        _transition_input(version, 2, ReviewAction.ENQUEUE, ReviewState.QUEUED, notifications=[bad]),
    )
    with pytest.raises(ApplicationError, match="unknown notification relation"):
        await env.run(_activities(engine).record_transitions, batch)
    assert _count(engine, AuditEvent, AuditEvent.product_id == version.product_id) == 0
    with session_scope(engine) as session:
        assert get_review(session=session, product_id=version.product_id) is None


async def test_transitions_of_two_reviews_are_never_recorded_together(engine, env):
    with session_scope(engine) as session:
        one, other = new_version(session), new_version(session)
    with pytest.raises(ApplicationError, match="must belong to one review"):
        await env.run(
            _activities(engine).record_transitions,
            _batch(
                _transition_input(one, 1, ReviewAction.REMINDER, ReviewState.QUEUED),
                _transition_input(other, 1, ReviewAction.REMINDER, ReviewState.QUEUED),
            ),
        )
    assert _count(engine, AuditEvent, AuditEvent.product_id.in_([one.product_id, other.product_id])) == 0


async def test_racing_attempts_of_one_batch_record_it_once(fresh_engine, env):
    # A worker presumed dead may still be writing when the retry starts: both pass the first
    # look-up, and the unique (workflow_id, seq) rolls the later one back whole.
    with session_scope(fresh_engine) as session:
        p = seed_register(session)
        version = new_version(session, team_id=f"{p}-TEAM", author_id=f"{p}-03")
    told = NotificationRequest(
        kind=NotificationKind.RETURNED, subject="Returned", targets=[NotifyTarget(relation="author")]
    )
    batch = _batch(
        _transition_input(
            version,
            1,
            ReviewAction.RETURN,
            ReviewState.RETURNED,
            actor=f"{p}-GR",
            reason="Add the consent section",
            notifications=[told],
        )
    )
    acts = _activities(fresh_engine)
    results = await asyncio.gather(*(env.run(acts.record_transitions, batch) for _ in range(6)))
    assert sorted(r.results[0].created for r in results) == [False] * 5 + [True]
    assert len({r.results[0].audit_event_id for r in results}) == 1
    assert _count(fresh_engine, Decision, Decision.product_id == version.product_id) == 1
    assert _count(fresh_engine, Notification, Notification.product_id == version.product_id) == 1
    with session_scope(fresh_engine) as session:
        assert verify_chain(session=session).ok


async def test_a_precheck_runs_the_rules_in_a_process_of_its_own_when_configured(sample_db, env):
    """PRECHECK_PROCESSES: the rules run in a spawned process (the worker's own engine is not asked),
    with the same findings as in the worker."""
    from activities.review import precheck_pool

    class Untouchable:
        pack_version = "never-used"

        def check_text(self, *_args, **_kwargs):
            raise AssertionError("the rules ran in the worker's own process")

    sample = (
        "S1-IP-heron.md" if (SAMPLES / "S1-IP-heron.md").exists() else sorted(p.name for p in SAMPLES.glob("S*.md"))[0]
    )
    key = YAML(typ="safe").load((SAMPLES / "expected.yaml").read_text())["files"][sample]
    with session_scope(sample_db) as session:
        version = new_version(session, product_type=key["type"], text=(SAMPLES / sample).read_text())
    pool = precheck_pool(1)
    try:
        activities = ReviewActivities(
            db_engine=sample_db, settings=Settings(), rules_engine_factory=Untouchable, check_pool=pool
        )
        result = await env.run(activities.precheck, _precheck_input(version))
    finally:
        pool.shutdown()
    assert {f.rule_id for f in result.findings} - set(key["optional"] or []) == set(key["expected"])
    assert result.verdict == Verdict(key["verdict"])


async def test_a_change_to_the_register_reaches_the_next_recording_of_the_same_worker(fresh_engine, env):
    # Recordings read the register from the worker's cache, rebuilt when register_revision moves.
    with session_scope(fresh_engine) as session:
        import_roster(session=session, load=load_of(small_roster("C")))
        version = new_version(session, team_id="C-TEAM", author_id="C-03")
    acts = _activities(fresh_engine)
    request = NotificationRequest(kind=NotificationKind.QUEUED, subject="s", targets=[NotifyTarget(relation="team")])

    def comment(seq: int, actor: str) -> RecordTransitionInput:
        return _transition_input(
            version, seq, ReviewAction.COMMENT, ReviewState.QUEUED, actor=actor, notifications=[request]
        )

    first = await env.run(acts.record_transition, comment(1, "C-03"))
    assert _recipients(fresh_engine, first.audit_event_id) == ["C-01", "C-02", "C-11"]
    with session_scope(fresh_engine) as session:
        session.get(Staff, "C-02").active = False
    second = await env.run(acts.record_transition, comment(2, "C-03"))
    assert _recipients(fresh_engine, second.audit_event_id) == ["C-01", "C-11"]
    with pytest.raises(ApplicationError, match="C-02 is not an active person of the register"):
        await env.run(acts.record_transition, comment(3, "C-02"))


async def test_the_people_of_a_team_no_longer_active_are_still_told(fresh_engine, env):
    with session_scope(fresh_engine) as session:
        import_roster(session=session, load=load_of(small_roster("I")))
        version = new_version(session, team_id="I-TEAM", author_id="I-03")
        session.get(Team, "I-TEAM").active = False
    request = NotificationRequest(
        kind=NotificationKind.QUEUED,
        subject="s",
        targets=[NotifyTarget(relation="team"), NotifyTarget(relation="team_dp")],
    )
    result = await env.run(
        _activities(fresh_engine).record_transition,
        _transition_input(version, 1, ReviewAction.COMMENT, ReviewState.QUEUED, actor="I-03", notifications=[request]),
    )
    assert _recipients(fresh_engine, result.audit_event_id) == ["I-01", "I-02", "I-11", "I-DP"]
