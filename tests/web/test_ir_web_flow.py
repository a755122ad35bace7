"""An interview record's whole review through the web app, in front of the real review workflow (a
Temporal dev server, a worker, SQLite and PostgreSQL), contract v2 §5.3: a team member uploads the
record (Markdown, and Word with the front-matter form), the worker pre-checks it, an SPU officer
claims it from the SPU queue, dismisses a finding and returns it with reasons, the team reads the
reason and resubmits, the officer approves; an escalated record goes to the GCU head; the author and
a person named in the record are refused with a plain sentence; GCU reviewers and the Deputy
Prosecutor read the findings and can do nothing with them, on the pages or through the API."""

import datetime as dt
import io
import re
import uuid

import httpx
import pytest
from sqlmodel import Session

from service.demo import DEMO_DIR
from service.demo_spu import TEAMS, interview_record, seed_spu_accounts
from store.accounts import create_account, create_api_token, demo_password, get_account
from tests.dbutil import database_kinds, fresh_database
from tests.web.conftest import csrf_from
from tests.web.flow import review_system, wait_for_state
from web.app import create_app

# Two people the record may name: HE-04, a Heron investigator who also holds the SPU role (so only
# the separation of duties, not the role, keeps them off their own record), and SP-02, the SPU
# officer who assessed the witness.
EXTRA_PASSWORDS = {"heron.spu": ("HE-04", "heron-spu-password-1"), "spu.delacroix": ("SP-02", "spu-delacroix-pw-1")}
RECORDED = dt.date(2026, 2, 2)


def record_text(pid: str, *, author: str = "HE-03") -> str:
    """Heron's record of a deaf adult witness interviewed without psychosocial support (VUL-IR-04),
    assessed by SP-02."""
    text = interview_record(pid, TEAMS[0], kind=2, serial=1, recorded=RECORDED, submitted=dt.date(2026, 2, 5))
    return text.replace("assessor: GX-01", "assessor: SP-02").replace("author: HE-03", f"author: {author}")


def with_support(text: str) -> str:
    return text.replace(
        "psychosocial_support: {during: none}",
        "psychosocial_support: {during: on_call, provider_role: psychologist, expert: GX-01}",
    ).replace('version: "1.0"', 'version: "2.0"')


@pytest.fixture(params=database_kinds())
async def system(request, tmp_path, temporal_env):
    roster = (DEMO_DIR / "roster.yaml").read_text(encoding="utf-8")
    he04 = '{id: HE-04, name: "Paulo Brenn", gender: male, team: T-HERON, roles: [investigator]}'
    assert he04 in roster
    (tmp_path / "roster.yaml").write_text(
        roster.replace(he04, he04.replace("[investigator]", "[investigator, spu_officer]")), encoding="utf-8"
    )
    with fresh_database(request.param, tmp_path) as url:
        async with review_system(tmp_path, temporal_env, database_url=url, roster=tmp_path / "roster.yaml") as (
            settings,
            engine,
            client,
        ):
            seed_spu_accounts(db_engine=engine)
            with Session(engine) as session:
                for username, (staff_id, password) in EXTRA_PASSWORDS.items():
                    create_account(session=session, username=username, password=password, staff_id=staff_id)
                session.commit()
            yield create_app(settings, db_engine=engine, temporal_client=client), engine


async def signed_in(app, username: str) -> httpx.AsyncClient:
    password = EXTRA_PASSWORDS[username][1] if username in EXTRA_PASSWORDS else demo_password(username)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    page = await client.get("/login")
    response = await client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_from(page.text), "next": "/"},
    )
    assert response.status_code == 303, response.text
    return client


async def post_form(client: httpx.AsyncClient, path: str, **fields) -> httpx.Response:
    token = csrf_from((await client.get("/account")).text)
    response = await client.post(path, data={**fields, "csrf_token": token})
    assert response.status_code == 303, response.text[:500]
    return await client.get(response.headers["location"])


async def post_refused(client: httpx.AsyncClient, path: str, **fields) -> httpx.Response:
    token = csrf_from((await client.get("/account")).text)
    return await client.post(path, data={**fields, "csrf_token": token})


def flash(page: httpx.Response) -> str:
    match = re.search(r'id="flash">([^<]*)<', page.text)
    return match.group(1) if match else ""


def action_buttons(html: str) -> set[str]:
    """The review actions a page offers (the ids of its action buttons)."""
    found = re.findall(r'<button[^>]*\bid="(claim|approve|return|escalate|dismiss[^"]*|assign)"', html)
    return set(found) | ({"dismiss"} if 'action="/products/' in html and "/dismiss" in html else set())


async def upload(team: httpx.AsyncClient, pid: str, text: str) -> None:
    token = csrf_from((await team.get("/products/new")).text)
    response = await team.post(
        "/products",
        data={"csrf_token": token},
        files={"file": (f"{pid}.md", text.encode(), "text/markdown")},
    )
    assert response.status_code == 303, response.text[:800]
    assert response.headers["location"] == f"/products/{pid}"


def api_tokens(engine, *usernames: str) -> dict[str, dict[str, str]]:
    headers = {}
    with Session(engine) as session:
        for username in usernames:
            account = get_account(session=session, username=username)
            headers[username] = {
                "Authorization": f"Bearer {create_api_token(session=session, account=account, name='t')[1]}"
            }
        session.commit()
    return headers


async def test_an_interview_record_through_the_web_with_the_spu(system):
    app, engine = system
    team, officer, assessor, author, gcu, dp = [
        await signed_in(app, u)
        for u in ("heron.lead", "spu.esquerra", "spu.delacroix", "heron.spu", "gcu.albrecht", "dp.marsh")
    ]
    pid = f"IR-HERON-WEB-{uuid.uuid4().hex[:6].upper()}"
    text = record_text(pid, author="HE-04")
    await upload(team, pid, text)
    await wait_for_state(engine, pid, "queued")

    page = await team.get(f"/products/{pid}")
    assert "VUL-IR-04" in page.text and "(rule pack 2.0.0)" in page.text

    # The record is in the SPU's queue, not the GCU's.
    assert pid in (await officer.get("/queue")).text
    assert pid not in (await gcu.get("/queue")).text

    # Separation of duties (v2 §5.3): the record's author, and the officer who assessed the witness.
    for person, sentence in (
        (author, "HE-04 is the author of this product"),
        (assessor, "SP-02 appears in this product"),
    ):
        review_page = await person.get(f"/products/{pid}/review")
        assert review_page.status_code == 200 and 'id="claim"' not in review_page.text
        refused = await post_refused(person, f"/products/{pid}/claim")
        assert refused.status_code == 403, refused.text[:300]
        assert sentence in refused.text and "cannot review it" in refused.text
        assert "Traceback" not in refused.text and "Refusal." not in refused.text

    # GCU reviewers and the Deputy Prosecutor read the findings, without a button to act on them.
    for reader in (gcu, dp):
        product_page = await reader.get(f"/products/{pid}")
        assert product_page.status_code == 200 and "VUL-IR-04" in product_page.text
        assert not action_buttons(product_page.text), action_buttons(product_page.text)
    gcu_review = await gcu.get(f"/products/{pid}/review")
    assert "VUL-IR-04" in gcu_review.text and not action_buttons(gcu_review.text)
    refused = await post_refused(gcu, f"/products/{pid}/claim")
    assert refused.status_code == 403 and "only an SPU officer may" in refused.text
    refused = await post_refused(gcu, f"/products/{pid}/dismiss", rule_id="VUL-IR-04", reason="GCU view")
    assert refused.status_code == 403

    page = await post_form(officer, f"/products/{pid}/claim")
    assert flash(page) == "Claimed: the review is yours."
    review = await wait_for_state(engine, pid, "in_review")
    assert review.assignee_id == "SP-01"
    assert {"approve", "return", "escalate"} <= action_buttons(page.text)

    # Actions of the readers through the API: refused by the same policy, with its sentence.
    tokens = api_tokens(engine, "gcu.albrecht", "dp.marsh")
    api = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    for username, headers in tokens.items():
        detail = (await api.get(f"/api/products/{pid}", headers=headers)).json()
        assert detail["allowed_actions"] == [] and "VUL-IR-04" in {f["rule_id"] for f in detail["findings"]}
        for path, body in (
            ("claim", None),
            ("findings/VUL-IR-04/dismiss", {"reason": "not mine"}),
            ("decision", {"decision": "approve"}),
            ("decision", {"decision": "return", "reason": "not mine"}),
        ):
            response = await api.post(f"/api/products/{pid}/{path}", headers=headers, json=body)
            assert response.status_code == 403, (username, path, response.text)
            assert response.json()["detail"], response.text

    page = await post_form(
        officer,
        f"/products/{pid}/dismiss",
        rule_id="VUL-IR-04",
        reason="The psychologist was on call by phone; the team records it in version 2.",
    )
    assert flash(page) == "Finding VUL-IR-04 dismissed."
    reason = "Record the psychosocial support given during the interview."
    page = await post_form(officer, f"/products/{pid}/decide", decision="return", reason=reason)
    assert flash(page) == "Returned to the team."
    await wait_for_state(engine, pid, "returned")

    page = await team.get(f"/products/{pid}")
    assert re.search(r'id="return-reason-panel">.*?<p class="reason-text">' + re.escape(reason), page.text, re.S)
    token = csrf_from((await team.get(f"/products/{pid}/resubmit")).text)
    response = await team.post(
        f"/products/{pid}/resubmit",
        data={"csrf_token": token},
        files={"file": (f"{pid}.md", with_support(text).encode(), "text/markdown")},
    )
    assert response.status_code == 303, response.text[:500]
    review = await wait_for_state(engine, pid, "in_review")
    assert (review.assignee_id, review.version_no) == ("SP-01", 2)
    page = await officer.get(f"/products/{pid}/review")
    assert (
        "VUL-IR-04"
        not in re.sub(r"Why version 1 was returned.*?</p>", "", page.text, flags=re.S).split('id="findings')[-1]
    )
    page = await post_form(officer, f"/products/{pid}/decide", decision="approve", reason="")
    assert flash(page) == "Approved."
    await wait_for_state(engine, pid, "approved")
    history = await dp.get(f"/products/{pid}/audit")
    assert "SP-01" in history.text and reason in history.text and "on call by phone" in history.text
    for c in (team, officer, assessor, author, gcu, dp, api):
        await c.aclose()


async def test_an_escalated_interview_record_goes_to_the_gcu_head_and_word_files_are_taken(system):
    from docx import Document

    app, engine = system
    team, officer, head, gcu = [
        await signed_in(app, u) for u in ("heron.lead", "spu.esquerra", "gcu.head", "gcu.albrecht")
    ]
    pid = f"IR-HERON-DOCX-{uuid.uuid4().hex[:6].upper()}"
    front, body = record_text(pid).split("---\n", 2)[1:]
    document = Document()
    for line in body.splitlines():
        if line.startswith("## "):
            document.add_heading(line[3:], level=2)
        elif line.startswith("# "):
            document.add_heading(line[2:], level=1)
        elif line.strip():
            document.add_paragraph(line)
    data = io.BytesIO()
    document.save(data)
    product, extra = front.split("witnesses:", 1)
    fields = dict(re.findall(r"^  (\w+): \"?(.*?)\"?$", product, re.M))
    meta = {f"meta_{key}": value for key, value in fields.items()}
    token = csrf_from((await team.get("/products/new")).text)
    response = await team.post(
        "/products",
        data={**meta, "meta_extra_yaml": "witnesses:" + extra, "csrf_token": token},
        files={"file": ("record.docx", data.getvalue(), "application/octet-stream")},
    )
    assert response.status_code == 303, response.text[:800]
    await wait_for_state(engine, pid, "queued")
    page = await team.get(f"/products/{pid}")
    assert "VUL-IR-04" in page.text and "Interview record 01" in page.text

    await post_form(officer, f"/products/{pid}/claim")
    await wait_for_state(engine, pid, "in_review")
    page = await post_form(officer, f"/products/{pid}/decide", decision="escalate", reason="")
    assert flash(page) == "Please say why the GCU head should decide: nothing was recorded."
    why = "The team says no psychologist could travel; is an on-call expert by phone enough here?"
    page = await post_form(officer, f"/products/{pid}/decide", decision="escalate", reason=why)
    assert flash(page) == "Escalated to the GCU head."
    await wait_for_state(engine, pid, "escalated")

    # The GCU head decides the escalated record; a GCU reviewer still cannot.
    head_page = await head.get(f"/products/{pid}/review")
    assert why in head_page.text and {"approve", "return"} <= action_buttons(head_page.text)
    assert not action_buttons((await gcu.get(f"/products/{pid}/review")).text)
    refused = await post_refused(gcu, f"/products/{pid}/decide", decision="approve", reason="")
    assert refused.status_code == 403
    page = await post_form(head, f"/products/{pid}/decide", decision="approve", reason="")
    assert flash(page).startswith("You cannot approve yet: ") and "VUL-IR-04" in flash(page)
    page = await post_form(
        head,
        f"/products/{pid}/dismiss",
        rule_id="VUL-IR-04",
        reason="An on-call expert by phone was agreed with the SPU.",
    )
    assert flash(page) == "Finding VUL-IR-04 dismissed."
    page = await post_form(head, f"/products/{pid}/decide", decision="approve", reason="")
    assert flash(page) == "Approved."
    review = await wait_for_state(engine, pid, "approved")
    assert review.version_no == 1
    for c in (team, officer, head, gcu):
        await c.aclose()
