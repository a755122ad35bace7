"""An interview record's review on a real dev server and database (SQLite, and PostgreSQL when
TEST_POSTGRES_URL is set), through the service layer the CLI and the web app share: queued for the
SPU, claimed by an SPU officer who does not appear in it, escalated to the GCU head, decided there;
the GCU reviewer and the Deputy Prosecutor only read (contract v2 §5.3)."""

import datetime as dt
import uuid

import pytest
from sqlmodel import Session, select

from models.enums import DecisionKind, ReviewState
from models.tables import Notification
from service import reviews
from service.demo import import_demo_roster
from service.demo_spu import TEAMS, interview_record
from service.errors import ActionRefused
from settings import Settings
from store.db import make_engine
from tests.dbutil import database_kinds, fresh_database
from worker import build_worker


@pytest.mark.parametrize("kind", database_kinds())
async def test_an_interview_record_is_reviewed_by_the_spu_with_its_separation_of_duties(kind, temporal_env, tmp_path):
    pid = f"IR-HERON-TEST-{uuid.uuid4().hex[:6].upper()}"
    text = interview_record(
        pid, TEAMS[0], kind=1, serial=1, recorded=dt.date(2026, 2, 2), submitted=dt.date(2026, 2, 5)
    )
    # An adult survivor, assessed by an SPU officer (VUL-IR-03 allows it for an adult): SP-02 appears
    # in the record and may not review it.
    path = tmp_path / f"{pid}.md"
    path.write_text(text.replace("assessor: GX-01", "assessor: SP-02"), encoding="utf-8")
    with fresh_database(kind, tmp_path) as url:
        settings = Settings(
            database_url=url,
            temporal_address=temporal_env.client.service_client.config.target_host,
            task_queue=f"ir-{uuid.uuid4().hex[:8]}",
            var_dir=tmp_path,
        )
        engine = make_engine(url)
        client = temporal_env.client
        try:
            import_demo_roster(engine)
            async with build_worker(client, settings):
                submitted = await reviews.submit(
                    db_engine=engine, client=client, settings=settings, path=path, actor_id="HE-03"
                )
                assert submitted.status.state == ReviewState.QUEUED

                async def refused(call, **kw) -> str:
                    with pytest.raises(ActionRefused) as caught:
                        await call(db_engine=engine, client=client, product_id=pid, **kw)
                    return caught.value.message

                assert "only an SPU officer may" in await refused(reviews.claim, actor_id="GX-02")
                assert "SP-02 appears in this product" in await refused(reviews.claim, actor_id="SP-02")
                claimed = await reviews.claim(db_engine=engine, client=client, product_id=pid, actor_id="SP-01")
                assert (claimed.state, claimed.assignee) == (ReviewState.IN_REVIEW, "SP-01")
                for reader in ("GX-02", "GX-09", "DP-01"):
                    await refused(reviews.decide, decision=DecisionKind.APPROVE, reason=None, actor_id=reader)
                escalated = await reviews.decide(
                    db_engine=engine,
                    client=client,
                    product_id=pid,
                    decision=DecisionKind.ESCALATE,
                    actor_id="SP-01",
                    reason="The witness's aunt asked for a follow-up the SPU cannot give.",
                )
                assert escalated.state == ReviewState.ESCALATED
                assert "only the GCU head may" in await refused(
                    reviews.decide, decision=DecisionKind.APPROVE, reason=None, actor_id="SP-01"
                )
                approved = await reviews.decide(
                    db_engine=engine,
                    client=client,
                    product_id=pid,
                    decision=DecisionKind.APPROVE,
                    reason=None,
                    actor_id="GX-09",
                )
                assert approved.state == ReviewState.APPROVED
            with Session(engine) as session:
                queued_to = {
                    n.recipient_id
                    for n in session.exec(
                        select(Notification).where(Notification.product_id == pid, Notification.kind == "queued")
                    )
                }
            assert queued_to == {"SP-01", "SP-02"}  # the SPU's queue, not the GCU reviewers
        finally:
            engine.dispose()
