"""The administrator's account pages (issue 13's admin item, issue 17): edit, deactivate, reset a
password, revoke another person's API token, each audited with the administrator and the channel;
read-only API tokens; other people are refused."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from models.web_tables import Account
from store.account_events import events_of
from store.accounts import create_account, create_api_token, get_account
from tests.web.conftest import csrf_from, sign_in


@pytest.fixture()
def target(web_db):
    """A throw-away account of KE-02 with a password and an API token: (account id, token)."""
    _settings, engine = web_db
    with Session(engine) as session:
        old = session.exec(select(Account).where(Account.staff_id == "KE-02")).one_or_none()
        if old is not None:  # the last test's: retired, as an administrator would
            old.staff_id, old.username, old.active = None, f"retired-{old.id}", False
            session.add(old)
            session.commit()
        account = create_account(
            session=session, username="target.person", password="target-password-1", staff_id="KE-02"
        )
        _row, token = create_api_token(session=session, account=account, name="their script")
        session.commit()
        return account.id, token


def admin_post(client, path, data):
    csrf = csrf_from(client.get("/admin/accounts").text)
    return client.post(path, data={"csrf_token": csrf, **data}, follow_redirects=False)


def latest_event(engine, account_id):
    with Session(engine) as session:
        return events_of(session=session, account_id=account_id)[-1]


def test_an_administrator_deactivates_an_account_and_it_is_signed_out(app, clients, web_db, target):
    _settings, engine = web_db
    account_id, token = target
    with TestClient(app) as person:
        assert sign_in(person, "target.person", "target-password-1").status_code == 303
        response = admin_post(clients["admin"], f"/admin/accounts/{account_id}/deactivate", {"reason": "left the unit"})
        assert response.status_code == 303
        assert person.get("/team", follow_redirects=False).status_code == 303  # back to sign-in
    assert clients["anonymous"].get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    event = latest_event(engine, account_id)
    assert (event.action, event.actor_id, event.channel, event.reason) == (
        "account.deactivated",
        "account:admin",
        "web",
        "left the unit",
    )
    with TestClient(app) as again:
        assert sign_in(again, "target.person", "target-password-1").status_code == 401


def test_an_administrator_edits_name_staff_link_and_role(clients, web_db, target):
    _settings, engine = web_db
    account_id, _token = target
    page = clients["admin"].get(f"/admin/accounts/{account_id}").text
    assert "target.person" in page and "Account history" in page
    response = admin_post(
        clients["admin"],
        f"/admin/accounts/{account_id}/edit",
        {"username": "target.renamed", "staff_id": "KE-02", "is_admin": "true"},
    )
    assert response.status_code == 303
    with Session(engine) as session:
        account = session.get(Account, account_id)
        assert account.username == "target.renamed" and account.is_admin
        account.username = "target.person"  # the fixture's name, for the next test
        session.add(account)
        session.commit()
    event = latest_event(engine, account_id)
    assert event.action == "account.updated" and event.details["is_admin"] == "False -> True"
    # A staff id that already has a login is refused with the reason.
    refused = admin_post(
        clients["admin"], f"/admin/accounts/{account_id}/edit", {"username": "target.person", "staff_id": "HE-01"}
    )
    assert refused.status_code == 303
    assert "HE-01 already has an account" in clients["admin"].get(f"/admin/accounts/{account_id}").text


def test_an_administrator_resets_a_password_which_revokes_the_tokens(app, clients, web_db, target):
    _settings, engine = web_db
    account_id, token = target
    response = admin_post(
        clients["admin"], f"/admin/accounts/{account_id}/password", {"password": "brand-new-password"}
    )
    assert response.status_code == 303
    assert clients["anonymous"].get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    with TestClient(app) as person:
        assert sign_in(person, "target.person", "brand-new-password").status_code == 303
    assert latest_event(engine, account_id).action == "account.password_set"


def test_an_administrator_revokes_another_persons_token(clients, web_db, target):
    _settings, engine = web_db
    account_id, token = target
    with Session(engine) as session:
        from store.accounts import list_api_tokens

        [row] = list_api_tokens(session=session, account_id=account_id)
    response = admin_post(clients["admin"], f"/admin/accounts/{account_id}/tokens/{row.id}/revoke", {})
    assert response.status_code == 303
    assert clients["anonymous"].get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    event = latest_event(engine, account_id)
    assert event.action == "account.token_revoked" and event.actor_id == "account:admin"


@pytest.mark.parametrize("path", ["/edit", "/deactivate", "/password", "/activate", "/unlock"])
def test_only_administrators_change_accounts(clients, target, path):
    account_id, _token = target
    reviewer = clients["gcu.head"]
    csrf = csrf_from(reviewer.get("/account").text)
    response = reviewer.post(f"/admin/accounts/{account_id}{path}", data={"csrf_token": csrf, "password": "x" * 12})
    assert response.status_code == 403
    assert clients["gcu.head"].get(f"/admin/accounts/{account_id}").status_code == 403


def test_a_read_only_token_reads_but_does_not_act(clients, web_db):
    _settings, engine = web_db
    with Session(engine) as session:
        _row, token = create_api_token(
            session=session,
            account=get_account(session=session, username="gcu.albrecht"),
            name="dashboard",
            read_only=True,
        )
        session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    assert clients["anonymous"].get("/api/queue", headers=headers).status_code == 200
    refused = clients["anonymous"].post("/api/products/WEB-HERON-1/claim", headers=headers, json={})
    assert refused.status_code == 403 and "read-only" in refused.json()["detail"]


def test_tokens_made_on_the_account_page_expire_and_may_be_read_only(clients, web_db):
    _settings, engine = web_db
    client = clients["dp.marsh"]
    csrf = csrf_from(client.get("/account").text)
    page = client.post(
        "/account/tokens", data={"csrf_token": csrf, "name": "weekly export", "days": "7", "read_only": "true"}
    )
    assert page.status_code == 200 and "read only" in page.text
    with Session(engine) as session:
        from store.accounts import list_api_tokens

        account = get_account(session=session, username="dp.marsh")
        row = [t for t in list_api_tokens(session=session, account_id=account.id) if t.name == "weekly export"][-1]
        assert row.read_only and 6.9 < (row.expires_at - row.created_at).total_seconds() / 86400 < 7.1
        event = events_of(session=session, account_id=account.id)[-1]
        assert (event.action, event.actor_id, event.channel) == ("account.token_created", "DP-01", "web")
