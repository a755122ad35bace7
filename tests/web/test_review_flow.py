"""The web app in front of the real review workflow (Temporal dev server, worker, database): the
team submits, the reviewer claims, a refused action shows the validator's reason, the reviewer
returns, the team resubmits and sees what it resolved, the reviewer dismisses and approves, the
Deputy Prosecutor's dashboard counts it; and the same actions through the API."""

import re

import httpx
import pytest

from store.accounts import create_api_token, demo_password, get_account
from tests.web.conftest import csrf_from
from tests.web.flow import new_product_id, review_system, s1_revised, s1_text, wait_for_state
from web.app import create_app


async def signed_in(app, username: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    page = await client.get("/login")
    response = await client.post(
        "/login",
        data={
            "username": username,
            "password": demo_password(username),
            "csrf_token": csrf_from(page.text),
            "next": "/",
        },
    )
    assert response.status_code == 303, response.text
    return client


async def post_form(client: httpx.AsyncClient, path: str, **fields) -> httpx.Response:
    token = csrf_from((await client.get("/account")).text)
    response = await client.post(path, data={**fields, "csrf_token": token})
    assert response.status_code == 303, response.text[:500]
    return await client.get(response.headers["location"])


def flash(page: httpx.Response) -> str:
    match = re.search(r'id="flash">([^<]*)<', page.text)
    return match.group(1) if match else ""


async def test_submit_claim_return_resubmit_approve_through_the_pages(tmp_path, temporal_env):
    async with review_system(tmp_path, temporal_env) as (settings, engine, client):
        app = create_app(settings, db_engine=engine, temporal_client=client)
        team, reviewer, other_reviewer, dp = [
            await signed_in(app, u) for u in ("heron.lead", "gcu.albrecht", "gcu.velde", "dp.marsh")
        ]
        pid = new_product_id()

        token = csrf_from((await team.get("/products/new")).text)
        response = await team.post(
            "/products",
            data={"csrf_token": token},
            files={"file": (f"{pid}.md", s1_text(pid).encode(), "text/markdown")},
        )
        assert response.status_code == 303, response.text[:500]
        assert response.headers["location"] == f"/products/{pid}"
        await wait_for_state(engine, pid, "queued")

        page = await team.get(f"/products/{pid}")
        assert "LANG-03" in page.text and "SGBC-IP-01" in page.text
        assert 'id="sev-major"' in page.text
        assert "How to fix" in page.text and "Citation" in page.text
        assert "(rule pack 2.0.0)" in page.text  # which pack judged the version

        page = await post_form(reviewer, f"/products/{pid}/claim")
        assert flash(page) == "Claimed: the review is yours."
        # Another reviewer's decision is refused by the workflow, and the page says why.
        page = await post_form(
            other_reviewer, f"/products/{pid}/decide", decision="return", reason="not mine to return"
        )
        assert 'class="flash flash-error"' in page.text
        assert (
            flash(page)
            == "You cannot return for revision: only the reviewer it is assigned to (GX-02) may, while the review is being reviewed."
        )
        # The page says before posting why approval is not possible, with the progress of the findings.
        page = await reviewer.get(f"/products/{pid}/review")
        assert re.search(r'<button type="submit" id="approve" disabled', page.text)
        assert re.search(
            r'id="approve-blocked">Approval is not possible yet\. 5 blocking or major findings not dismissed: ',
            page.text,
        )
        assert '<span id="progress">0 of 5 findings handled</span>' in page.text
        # Posting anyway (an old page, a script) is refused with the validator's reason, in plain words.
        page = await post_form(reviewer, f"/products/{pid}/decide", decision="approve", reason="")
        assert flash(page).startswith("You cannot approve yet: these blocking or major findings are still open: ")
        # A return without reasons is refused before it reaches the workflow.
        page = await post_form(reviewer, f"/products/{pid}/decide", decision="return", reason="  ")
        assert flash(page) == "Please say what the team must change: nothing was recorded."

        page = await post_form(
            reviewer,
            f"/products/{pid}/decide",
            decision="return",
            reason="Add the gender analysis and the GCU milestone; avoid the term 'bush wives'.",
        )
        assert flash(page) == "Returned to the team."
        await wait_for_state(engine, pid, "returned")
        # The reason is where the team acts, and the reviewer's Actions box says what happens next.
        page = await team.get(f"/products/{pid}")
        assert re.search(
            r'id="return-reason-panel">\s*<h2 id="return-reason-h">Why version 1 was returned</h2>\s*'
            r'<p class="reason-text">Add the gender analysis and the GCU milestone; avoid the term &#39;bush wives&#39;.</p>',
            page.text,
        )
        page = await reviewer.get(f"/products/{pid}/review")
        assert re.search(
            r'<p id="next-step">Returned to the team by [^<]+ on \d{4}-\d\d-\d\d: waiting for a revised version',
            page.text,
        )

        token = csrf_from((await team.get(f"/products/{pid}/resubmit")).text)
        response = await team.post(
            f"/products/{pid}/resubmit",
            data={"csrf_token": token},
            files={"file": (f"{pid}.md", s1_revised(pid).encode(), "text/markdown")},
        )
        assert response.status_code == 303, response.text[:500]
        review = await wait_for_state(engine, pid, "in_review")
        assert review.assignee_id == "GX-02" and review.version_no == 2
        # Version 2's review page shows why version 1 went back, and what it resolved so far.
        page = await reviewer.get(f"/products/{pid}/review")
        assert re.search(
            r'<h2 id="previous-return-h">Why version 1 was returned</h2>\s*<p class="reason-text">Add the gender analysis',
            page.text,
        )
        assert re.search(r'<span id="progress">0 of 4 findings handled</span>', page.text)

        diff = await team.get(f"/products/{pid}/diff")
        resolved = re.search(r'<ul id="resolved">(.*?)</ul>', diff.text, re.S)
        assert resolved and "LANG-03" in resolved.group(1)
        words = re.sub(r"</?(ins|del)>", "", diff.text)  # changed words are marked inside their lines
        assert "forced marriage victims" in words or "victims of forced marriage" in words

        for rule_id in ("SGBC-IP-01", "GEN-IP-05", "GEN-IP-06", "STAFF-03"):
            page = await post_form(
                reviewer,
                f"/products/{pid}/dismiss",
                rule_id=rule_id,
                reason="Covered by the annex agreed with the GCU on the phone.",
            )
            assert flash(page) == f"Finding {rule_id} dismissed.", flash(page)
        page = await post_form(reviewer, f"/products/{pid}/decide", decision="approve", reason="")
        assert flash(page) == "Approved."
        await wait_for_state(engine, pid, "approved")

        history = await dp.get(f"/products/{pid}/audit")
        assert "GX-02" in history.text and "Add the gender analysis" in history.text
        dashboard = await dp.get("/dashboard")
        heron = re.search(r'<tr data-team="T-HERON">(.*?)</tr>', dashboard.text, re.S).group(1)
        assert (
            '<td class="approved" data-label="Approved"><a href="/products?team=T-HERON&amp;state=approved">1</a></td>'
            in heron
        )
        notifications = await team.get("/notifications")
        assert pid in notifications.text
        for c in (team, reviewer, other_reviewer, dp):
            await c.aclose()


async def test_the_api_runs_the_same_actions_with_the_same_refusals(tmp_path, temporal_env):
    from sqlmodel import Session

    async with review_system(tmp_path, temporal_env) as (settings, engine, client):
        app = create_app(settings, db_engine=engine, temporal_client=client)
        tokens = {}
        with Session(engine) as session:
            for username in ("heron.lead", "kestrel.inv", "gcu.albrecht"):
                tokens[username] = create_api_token(
                    session=session, account=get_account(session=session, username=username), name="t"
                )[1]
            session.commit()
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")

        def auth(user):
            return {"Authorization": f"Bearer {tokens[user]}"}

        pid = new_product_id()
        response = await http.post(
            "/api/products",
            headers=auth("kestrel.inv"),
            files={"file": (f"{pid}.md", s1_text(pid).encode(), "text/markdown")},
        )
        assert response.status_code == 403
        assert "may not submit this product: only the staff of team T-HERON may" in response.json()["detail"]

        response = await http.post(
            "/api/products", headers=auth("heron.lead"), files={"file": ("notes.txt", b"hello", "text/plain")}
        )
        assert response.status_code == 400 and "unsupported file type" in response.json()["detail"]

        response = await http.post(
            "/api/products",
            headers=auth("heron.lead"),
            files={"file": (f"{pid}.md", s1_text(pid).encode(), "text/markdown")},
        )
        assert response.status_code == 201, response.text
        assert response.json()["product_id"] == pid
        await wait_for_state(engine, pid, "queued")

        detail = (await http.get(f"/api/products/{pid}", headers=auth("gcu.albrecht"))).json()
        assert "claim" in detail["allowed_actions"]
        assert {f["rule_id"] for f in detail["findings"]} >= {"SGBC-IP-01", "LANG-03"}
        assert [v["pack_version"] for v in detail["versions"]] == ["2.0.0"]
        assert {f["pack_version"] for f in detail["findings"]} == {"2.0.0"}

        response = await http.post(f"/api/products/{pid}/claim", headers=auth("gcu.albrecht"))
        assert response.status_code == 200 and response.json()["state"] == "in_review"
        response = await http.post(
            f"/api/products/{pid}/decision", headers=auth("gcu.albrecht"), json={"decision": "return"}
        )
        assert response.status_code == 409 and "reason" in response.json()["detail"].lower()

        response = await http.post(
            f"/api/products/{pid}/withdraw", headers=auth("heron.lead"), json={"reason": "replaced by a new plan"}
        )
        assert response.status_code == 200 and response.json()["state"] == "withdrawn"
        audit = (await http.get(f"/api/products/{pid}/audit", headers=auth("heron.lead"))).json()
        assert [e["action"] for e in audit][-1] == "withdraw"
        assert (await http.get(f"/api/products/{pid}/audit", headers=auth("kestrel.inv"))).status_code == 404
        await http.aclose()


@pytest.mark.parametrize("meta_ok", [True, False])
async def test_a_docx_is_submitted_with_the_meta_form(tmp_path, temporal_env, meta_ok):
    import io

    from docx import Document

    async with review_system(tmp_path, temporal_env) as (settings, engine, client):
        app = create_app(settings, db_engine=engine, temporal_client=client)
        team = await signed_in(app, "heron.lead")
        pid = new_product_id()
        body = s1_text(pid).split("---\n", 2)[2]
        document = Document()
        for block in body.split("\n\n"):
            block = block.strip()
            if block.startswith("## "):
                document.add_heading(block[3:], level=2)
            elif block.startswith("# "):
                document.add_heading(block[2:], level=1)
            elif block:
                document.add_paragraph(block.replace("\n", " "))
        data = io.BytesIO()
        document.save(data)
        meta = {
            "meta_id": pid,
            "meta_type": "IP",
            "meta_title": "Investigation plan (Word)",
            "meta_team": "T-HERON",
            "meta_situation": "Situation in Velmora",
            "meta_version": "0.4",
            "meta_author": "HE-01",
            "meta_submitted_on": "2025-10-06",
            "meta_audience": "internal" if meta_ok else "public",
            "meta_extra_yaml": "lines_of_inquiry: [sexual_slavery, murder]\n",
        }
        token = csrf_from((await team.get("/products/new")).text)
        response = await team.post(
            "/products",
            data={**meta, "csrf_token": token},
            files={"file": ("plan.docx", data.getvalue(), "application/octet-stream")},
        )
        if meta_ok:
            assert response.status_code == 303, response.text[:800]
            await wait_for_state(engine, pid, "queued")
            page = await team.get(f"/products/{pid}")
            assert "Investigation plan (Word)" in page.text
        else:
            # The same message as the CLI: a format error, nothing stored, naming the field.
            assert response.status_code == 400
            assert "format error, nothing was stored" in response.text and "product.audience" in response.text
            assert "gcu-upload-" not in response.text  # the private staging folder is not shown
        await team.aclose()


async def test_the_submitted_docx_is_downloaded_as_submitted_only_by_those_who_may_see_it(tmp_path, temporal_env):
    import io

    from docx import Document

    async with review_system(tmp_path, temporal_env) as (settings, engine, client):
        app = create_app(settings, db_engine=engine, temporal_client=client)
        team, outsider = await signed_in(app, "heron.lead"), await signed_in(app, "kestrel.inv")
        pid = new_product_id()
        document = Document()
        document.add_heading("Investigation plan", level=1)
        document.add_paragraph("A short plan.")
        data = io.BytesIO()
        document.save(data)
        meta = {
            "meta_id": pid,
            "meta_type": "IP",
            "meta_title": "Plan",
            "meta_team": "T-HERON",
            "meta_situation": "Situation in Velmora",
            "meta_version": "1",
            "meta_author": "HE-01",
            "meta_submitted_on": "2025-10-06",
            "meta_audience": "internal",
        }
        token = csrf_from((await team.get("/products/new")).text)
        response = await team.post(
            "/products",
            data={**meta, "csrf_token": token},
            files={"file": ("plan.docx", data.getvalue(), "application/octet-stream")},
        )
        assert response.status_code == 303, response.text[:500]
        download = await team.get(f"/products/{pid}/versions/1/file")
        assert download.status_code == 200 and download.content == data.getvalue()
        assert download.headers["content-disposition"] == 'attachment; filename="plan.docx"'
        assert (await outsider.get(f"/products/{pid}/versions/1/file")).status_code == 404
        checked = await team.get(f"/products/{pid}/versions/1/text")
        assert checked.text.startswith("---\nproduct:") and "A short plan." in checked.text
        await team.aclose()
        await outsider.aclose()


async def test_the_gcu_head_assigns_several_reviews_from_the_queue_at_once(tmp_path, temporal_env):
    async with review_system(tmp_path, temporal_env) as (settings, engine, client):
        app = create_app(settings, db_engine=engine, temporal_client=client)
        team, head = [await signed_in(app, u) for u in ("heron.lead", "gcu.head")]
        pids = [new_product_id(), new_product_id()]
        for pid in pids:
            token = csrf_from((await team.get("/products/new")).text)
            response = await team.post(
                "/products",
                data={"csrf_token": token},
                files={"file": (f"{pid}.md", s1_text(pid).encode(), "text/markdown")},
            )
            assert response.status_code == 303, response.text[:500]
            await wait_for_state(engine, pid, "queued")
        queue = await head.get("/queue")
        for pid in pids:
            assert f'value="{pid}" form="bulk-assign"' in queue.text
        token = csrf_from(queue.text)
        response = await head.post(
            "/queue/assign", data={"csrf_token": token, "product_id": pids, "reviewer_id": "GX-03", "back": "/queue"}
        )
        assert response.status_code == 303 and response.headers["location"] == "/queue"
        page = await head.get("/queue")
        assert flash(page) == "Assigned 2 reviews to Amara Velde."
        for pid in pids:
            review = await wait_for_state(engine, pid, "in_review")
            assert review.assignee_id == "GX-03"
        # Reassigning to the same reviewer is refused per review, in plain words, and nothing else changes.
        response = await head.post(
            "/queue/assign", data={"csrf_token": token, "product_id": pids[:1], "reviewer_id": "GX-03"}
        )
        page = await head.get(response.headers["location"])
        assert flash(page).startswith(f"Not assigned: {pids[0]} (")
        for c in (team, head):
            await c.aclose()
