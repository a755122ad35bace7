"""Every audit event of a review says through what it came (issue 17: a CLI action could not be told
from a web one): a submission through the API, the pre-check and queueing by the system, a claim
through the pages, against the real workflow (Temporal dev server, worker, database)."""

import re

import httpx
from sqlmodel import Session, select

from models.tables import AuditEvent
from store.accounts import create_api_token, get_account
from tests.web.flow import new_product_id, review_system, s1_text, wait_for_state
from tests.web.test_review_flow import post_form, signed_in
from web.app import create_app


async def test_audit_events_record_api_web_and_system_channels(tmp_path, temporal_env):
    async with review_system(tmp_path, temporal_env) as (settings, engine, client):
        app = create_app(settings, db_engine=engine, temporal_client=client)
        with Session(engine) as session:
            token = create_api_token(
                session=session, account=get_account(session=session, username="heron.lead"), name="t"
            )[1]
            session.commit()
        pid = new_product_id()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
            response = await http.post(
                "/api/products",
                headers={"Authorization": f"Bearer {token}"},
                files={"file": (f"{pid}.md", s1_text(pid).encode(), "text/markdown")},
            )
            assert response.status_code == 201, response.text
        await wait_for_state(engine, pid, "queued")
        reviewer = await signed_in(app, "gcu.albrecht")
        await post_form(reviewer, f"/products/{pid}/claim")
        await wait_for_state(engine, pid, "in_review")
        history = (await reviewer.get(f"/products/{pid}/audit")).text
        await reviewer.aclose()
        # The history page names the person (with their staff id) and the channel they acted through.
        assert re.search(r'<td data-label="Who">[^<]*\(GX-02\)</td><td data-label="Through">web</td>', history), history
        with Session(engine) as session:
            events = session.exec(select(AuditEvent).where(AuditEvent.product_id == pid).order_by(AuditEvent.id)).all()
        assert [(e.action, e.actor_id, e.channel) for e in events] == [
            ("submit", "HE-01", "api"),
            ("precheck", None, "system"),
            ("enqueue", None, "system"),
            ("claim", "GX-02", "web"),
        ]
