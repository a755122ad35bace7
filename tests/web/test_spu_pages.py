"""The SPU dashboard (contract v2 §6.1) and what an SPU officer may see: interview records of every
team, and nothing else of the teams' work."""

import datetime as dt
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from models.enums import ReviewState
from models.messages import ReviewWorkflowState
from models.spu_tables import InterviewRecordFacts
from models.tables import Product
from service.demo_spu import seed_spu_accounts
from store.accounts import create_account
from store.kpi.periods import containing
from store.products import create_version
from store.reviews import upsert_review
from tests.web.conftest import PRODUCTS, csrf_from, sign_in

IR_ID = "WEB-IR-HERON-1"


@pytest.fixture(scope="module")
def spu(app, web_db):
    """The SPU officer's demo account, and one interview record of Heron in the current quarter."""
    _settings, engine = web_db
    seed_spu_accounts(db_engine=engine)
    today = dt.date.today()
    recorded = containing("quarter", today).start
    with Session(engine) as session:
        v = create_version(
            session=session,
            product_id=IR_ID,
            product_type="IR",
            team_id="T-HERON",
            situation="Situation in Velmora",
            author_id="HE-03",
            title="Interview record",
            version_label="1",
            filename=f"{IR_ID}.md",
            media_type="text/markdown",
            content=b"---\n---\n",
            submitted_by="HE-03",
            front_matter={
                "product": {"id": IR_ID, "type": "IR", "author": "HE-03"},
                "record": {"interviewer": "HE-03"},
                "psychosocial_assessment": {"assessor": "SP-02"},
            },
        )
        session.add(
            InterviewRecordFacts(
                product_id=IR_ID,
                version_no=v.version_no,
                version_id=v.id,
                team_id="T-HERON",
                situation="Situation in Velmora",
                record_date=recorded,
                period_date=recorded,
                submitted_on=recorded,
                witness_key="W-C-101",
                vulnerable=True,
                categories=["child", "sgbc_survivor"],
                support_during="none",
                supported=False,
                needs_all_met=True,
            )
        )
        upsert_review(
            session=session,
            product=session.get(Product, IR_ID),
            workflow_id=f"product-review-{IR_ID}",
            state_after=ReviewWorkflowState(
                state=ReviewState.QUEUED, version_id=v.id, version_no=1, version_label="1", title="Interview record"
            ),
            at=datetime.now(UTC),
        )
        # SP-02 assessed the witness: an SPU officer who appears in the record.
        create_account(session=session, username="spu.delacroix", password="spu-delacroix-pw", staff_id="SP-02")
        session.commit()
    client = TestClient(app)
    assert sign_in(client, "spu.esquerra").status_code == 303
    yield client
    client.close()


def test_the_spu_officer_sees_the_spu_dashboard_with_the_indicator_and_its_lists(spu):
    page = spu.get("/spu")
    assert page.status_code == 200
    assert 'href="/spu"' in page.text and "SPU officer" in page.text
    assert '<span id="spu-n">0</span> / <span id="spu-d">1</span>' in page.text
    assert 'data-key="child"' in page.text and 'data-key="T-HERON"' in page.text
    assert f'<a href="/products/{IR_ID}">{IR_ID}</a>' in page.text  # without psychosocial support


@pytest.mark.parametrize(
    ("user", "expected"),
    [("gcu.head", 200), ("admin", 200), ("gcu.albrecht", 403), ("dp.marsh", 403), ("heron.lead", 403)],
)
def test_the_spu_dashboard_is_for_spu_officers_and_the_gcu_head(spu, clients, user, expected):
    assert clients[user].get("/spu").status_code == expected


def test_a_bad_period_is_a_clear_error(spu):
    page = spu.get("/spu?period=2026-Q5")
    assert page.status_code == 400 and "period" in page.text


def test_an_spu_officer_sees_interview_records_of_every_team_and_no_other_product(spu):
    assert spu.get(f"/products/{IR_ID}").status_code == 200
    for pid in PRODUCTS.values():
        assert spu.get(f"/products/{pid}").status_code == 404


def test_the_deputy_prosecutors_dashboard_carries_the_spu_indicator(spu, clients):
    page = clients["dp.marsh"].get("/dashboard")
    assert page.status_code == 200
    assert "SPU indicator: Vulnerable witnesses interviewed with psychosocial support" in page.text


def test_the_spu_officers_queue_lists_interview_records_and_the_gcus_does_not(spu, clients, web_db):
    from store.accounts import create_api_token, get_account

    _settings, engine = web_db
    with Session(engine) as session:
        _row, token = create_api_token(
            session=session, account=get_account(session=session, username="spu.esquerra"), name="test"
        )
        session.commit()
    page = spu.get("/queue")
    assert page.status_code == 200 and IR_ID in page.text
    assert all(pid not in page.text for pid in PRODUCTS.values())
    api = spu.get("/api/queue", headers={"Authorization": f"Bearer {token}"})
    assert [r["product_id"] for r in api.json()] == [IR_ID]
    gcu = clients["gcu.albrecht"].get("/queue")
    assert IR_ID not in gcu.text and PRODUCTS["T-HERON"] in gcu.text
    assert IR_ID in clients["admin"].get("/queue?team=T-HERON").text


def test_only_an_spu_officer_outside_the_record_gets_the_claim_button(spu, app, clients):
    page = spu.get(f"/products/{IR_ID}/review")
    assert page.status_code == 200 and 'id="claim"' in page.text
    assessor = TestClient(app)
    assert sign_in(assessor, "spu.delacroix", "spu-delacroix-pw").status_code == 303
    page = assessor.get(f"/products/{IR_ID}/review")
    assert page.status_code == 200 and 'id="claim"' not in page.text
    refused = assessor.post(f"/products/{IR_ID}/claim", data={"csrf_token": csrf_from(page.text)})
    assert refused.status_code == 403 and "SP-02 appears in this product" in refused.text
    # GCU reviewers and the Deputy Prosecutor read the record and its findings, and cannot act on it.
    for user in ("gcu.albrecht", "dp.marsh"):
        product_page = clients[user].get(f"/products/{IR_ID}")
        assert product_page.status_code == 200 and 'id="claim"' not in product_page.text
    gcu_page = clients["gcu.albrecht"].get(f"/products/{IR_ID}/review")
    refused = clients["gcu.albrecht"].post(f"/products/{IR_ID}/claim", data={"csrf_token": csrf_from(gcu_page.text)})
    assert refused.status_code == 403 and "only an SPU officer may" in refused.text
    assessor.close()
