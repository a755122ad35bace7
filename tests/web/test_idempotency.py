"""A retried action is made once: the comment form carries a fresh key in a hidden field, API
clients send an Idempotency-Key header, and a retry with the key of an action already made
changes nothing and answers like the first. On the real workflow (tests/web/flow.py)."""

import re

import httpx
from sqlmodel import Session

from store.accounts import create_api_token, get_account
from tests.web.conftest import csrf_from
from tests.web.flow import new_product_id, review_system, s1_text, wait_for_state
from tests.web.test_review_flow import post_form, signed_in
from web.app import create_app


def comments(status_json: dict) -> list[tuple[str, str]]:
    return [(h["actor_id"], h["reason"]) for h in status_json["history"] if h["action"] == "comment"]


async def test_a_retried_comment_or_due_date_move_is_recorded_once(tmp_path, temporal_env):
    async with review_system(tmp_path, temporal_env) as (settings, engine, client):
        app = create_app(settings, db_engine=engine, temporal_client=client)
        team, reviewer = [await signed_in(app, u) for u in ("heron.lead", "gcu.albrecht")]
        with Session(engine) as session:
            tokens = {
                u: create_api_token(session=session, account=get_account(session=session, username=u), name="t")[1]
                for u in ("heron.lead", "gcu.albrecht", "gcu.head")
            }
            session.commit()
        api = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")

        def headers(user, key=None):
            return {"Authorization": f"Bearer {tokens[user]}", **({"Idempotency-Key": key} if key else {})}

        pid = new_product_id()
        token = csrf_from((await team.get("/products/new")).text)
        await team.post(
            "/products",
            data={"csrf_token": token},
            files={"file": (f"{pid}.md", s1_text(pid).encode(), "text/markdown")},
        )
        await wait_for_state(engine, pid, "queued")
        await post_form(reviewer, f"/products/{pid}/claim")

        # The API: a client that retries after a lost answer sends the same key.
        first = await api.post(
            f"/api/products/{pid}/comments", json={"text": "Which witnesses?"}, headers=headers("gcu.albrecht", "c-1")
        )
        retry = await api.post(
            f"/api/products/{pid}/comments", json={"text": "Which witnesses?"}, headers=headers("gcu.albrecht", "c-1")
        )
        assert first.status_code == retry.status_code == 200, retry.text
        assert comments(retry.json()) == [("GX-02", "Which witnesses?")]
        # The same key from someone else is another request.
        answer = await api.post(
            f"/api/products/{pid}/comments", json={"text": "W-3 and W-7."}, headers=headers("heron.lead", "c-1")
        )
        assert comments(answer.json()) == [("GX-02", "Which witnesses?"), ("HE-01", "W-3 and W-7.")]

        body = {"due_at": "2027-01-15", "reason": "Translation of annex B"}
        moved = [
            await api.post(f"/api/products/{pid}/due-date", json=body, headers=headers("gcu.head", "m-1"))
            for _ in range(2)
        ]
        assert [m.status_code for m in moved] == [200, 200]
        assert [h["action"] for h in moved[1].json()["history"]].count("move_due_date") == 1

        # The page: the form carries a fresh key; a browser that posts it twice makes one comment.
        page = await reviewer.get(f"/products/{pid}/review")
        key = re.search(r'name="request_id" value="([^"]+)"', page.text).group(1)
        for _ in range(2):
            await post_form(
                reviewer, f"/products/{pid}/comment", text="Section 3 please.", back="review", request_id=key
            )
        status = (await api.get(f"/api/products/{pid}/audit", headers=headers("heron.lead"))).json()
        assert [e["reason"] for e in status if e["action"] == "comment"] == [
            "Which witnesses?",
            "W-3 and W-7.",
            "Section 3 please.",
        ]
        assert [e["action"] for e in status].count("move_due_date") == 1
        next_page = await reviewer.get(f"/products/{pid}/review")
        assert (
            re.search(r'name="request_id" value="([^"]+)"', next_page.text).group(1) != key
        )  # a new action, a new key

        too_long = await api.post(
            f"/api/products/{pid}/comments", json={"text": "x"}, headers=headers("gcu.albrecht", "k" * 201)
        )
        assert too_long.status_code == 422 and too_long.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]
        for c in (team, reviewer, api):
            await c.aclose()
