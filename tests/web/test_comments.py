"""Review comments through the pages and the API, on the real workflow: the reviewer writes on the
review page, the team reads it on its product page (and in its notifications) and answers through
the API; someone the workflow does not allow is refused with its reason; a comment is one entry of
the history. Role and object refusals of both routes are in test_access_matrix.py."""

import re

import httpx
import pytest
from sqlmodel import Session

from store.accounts import create_api_token, get_account
from tests.web.conftest import PRODUCTS, csrf_from
from tests.web.flow import new_product_id, review_system, s1_text, wait_for_state
from tests.web.test_review_flow import flash, post_form, signed_in
from web.app import create_app


def comments_on(page: httpx.Response) -> list[str]:
    return [re.sub(r"\s+", " ", c).strip() for c in re.findall(r'<p class="comment-text">(.*?)</p>', page.text, re.S)]


async def test_reviewer_and_team_exchange_comments_through_the_pages_and_the_api(tmp_path, temporal_env):
    async with review_system(tmp_path, temporal_env) as (settings, engine, client):
        app = create_app(settings, db_engine=engine, temporal_client=client)
        team, reviewer, other_reviewer = [await signed_in(app, u) for u in ("heron.lead", "gcu.albrecht", "gcu.velde")]
        with Session(engine) as session:
            tokens = {
                u: create_api_token(session=session, account=get_account(session=session, username=u), name="t")[1]
                for u in ("heron.lead", "gcu.velde", "gcu.albrecht")
            }
            session.commit()
        api = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")

        def auth(user):
            return {"Authorization": f"Bearer {tokens[user]}"}

        pid = new_product_id()
        token = csrf_from((await team.get("/products/new")).text)
        await team.post(
            "/products",
            data={"csrf_token": token},
            files={"file": (f"{pid}.md", s1_text(pid).encode(), "text/markdown")},
        )
        await wait_for_state(engine, pid, "queued")
        await post_form(reviewer, f"/products/{pid}/claim")

        review_page = await reviewer.get(f"/products/{pid}/review")
        assert f'action="/products/{pid}/comment"' in review_page.text and "No comments yet." in review_page.text
        page = await post_form(
            reviewer, f"/products/{pid}/comment", text="Section 3: <b>which</b> witnesses?", back="review"
        )
        assert flash(page) == "Comment added."
        assert str(page.url).endswith(f"/products/{pid}/review")
        assert comments_on(page) == ["Section 3: &lt;b&gt;which&lt;/b&gt; witnesses?"]  # escaped, never markup

        product_page = await team.get(f"/products/{pid}")
        assert comments_on(product_page) == ["Section 3: &lt;b&gt;which&lt;/b&gt; witnesses?"]
        assert "Caio Albrecht" in product_page.text and 'id="comment-text"' in product_page.text
        assert "Comment by GX-02" in (await team.get("/notifications")).text

        answered = await api.post(
            f"/api/products/{pid}/comments", json={"text": "Witnesses W-3 and W-7."}, headers=auth("heron.lead")
        )
        assert answered.status_code == 200, answered.text
        history = answered.json()["history"]
        assert [(h["action"], h["actor_id"], h["reason"]) for h in history if h["action"] == "comment"] == [
            ("comment", "GX-02", "Section 3: <b>which</b> witnesses?"),
            ("comment", "HE-01", "Witnesses W-3 and W-7."),
        ]
        assert answered.json()["state"] == "in_review"
        assert comments_on(await reviewer.get(f"/products/{pid}/review"))[-1] == "Witnesses W-3 and W-7."
        assert "Comment by HE-01" in (await reviewer.get("/notifications")).text

        # A GCU reviewer who is not the assignee passes the role check; the workflow refuses, with its reason.
        refused = await api.post(f"/api/products/{pid}/comments", json={"text": "me too"}, headers=auth("gcu.velde"))
        assert refused.status_code == 409
        assert refused.json()["detail"].startswith("GX-03 may not comment")
        page = await post_form(other_reviewer, f"/products/{pid}/comment", text="me too", back="review")
        assert 'class="flash flash-error"' in page.text and flash(page).startswith("You cannot comment: only ")
        empty = await api.post(f"/api/products/{pid}/comments", json={"text": "  "}, headers=auth("gcu.albrecht"))
        assert (empty.status_code, empty.json()["detail"]) == (409, "A comment cannot be empty.")
        too_long = await api.post(
            f"/api/products/{pid}/comments", json={"text": "x" * 4001}, headers=auth("gcu.albrecht")
        )
        # Bounded by the API itself, before the review is asked.
        assert too_long.status_code == 422 and "at most 4000 characters" in too_long.text

        audit = (await api.get(f"/api/products/{pid}/audit", headers=auth("heron.lead"))).json()
        assert [e["reason"] for e in audit if e["action"] == "comment"] == [
            "Section 3: <b>which</b> witnesses?",
            "Witnesses W-3 and W-7.",
        ]
        for c in (team, reviewer, other_reviewer, api):
            await c.aclose()


@pytest.mark.parametrize(
    ("user", "shown"),
    [("kestrel.inv", True), ("gcu.head", True), ("gcu.albrecht", False), ("dp.marsh", False), ("admin", False)],
)
def test_the_comment_form_is_offered_to_the_team_the_assignee_and_the_gcu_head(clients, user, shown):
    """WEB-KESTREL-1 is in review with no assignee in the fixture: a GCU reviewer who is not its
    assignee is not offered the form (the workflow would refuse), nor the DP or the administrator."""
    page = clients[user].get(f"/products/{PRODUCTS['T-KESTREL']}")
    assert page.status_code == 200
    assert ('id="comment-text"' in page.text) is shown
    assert "No comments yet." in page.text
