"""Compliance summaries on the dashboard and their pages: a Deputy Prosecutor opens only their own
(another DP's id answers 404, like a hidden product), the GCU head and administrators open any, every
other role is refused (403); the page is the stored HTML under the strict CSP plus its style's hash."""

import base64
import datetime as dt
import hashlib
import re

import pytest
from sqlmodel import Session

from models.summary_messages import SummaryPeriod
from summaries.produce import produce_summary
from summaries.render import SummaryRenderer
from tests.web.test_access_matrix import USERS

PERIOD = SummaryPeriod(start=dt.date(2025, 10, 6), end=dt.date(2025, 10, 12))
AS_OF = dt.datetime(2025, 10, 13, 7, 0, tzinfo=dt.UTC)
ALL = {"gcu.head", "admin"}
DP = {"dp.marsh": "DP-01"}


@pytest.fixture(scope="module")
def summary_ids(web_db) -> dict[str, int]:
    """One stored summary for DP-01 (dp.marsh: Heron and Kestrel) and one for DP-02 (Osprey)."""
    _settings, engine = web_db
    renderer = SummaryRenderer(base_url="http://testserver")
    with Session(engine) as session:
        made = {
            dp: produce_summary(
                session=session, deputy_prosecutor_id=dp, period=PERIOD, as_of=AS_OF, renderer=renderer
            ).summary_id
            for dp in ("DP-01", "DP-02")
        }
        session.commit()
    return made


def _expected(user: str, owner: str) -> int:
    if user in ALL:
        return 200
    if user in DP:
        return 200 if DP[user] == owner else 404
    return 403


def _page_cases():
    for owner in ("DP-01", "DP-02"):
        for suffix in ("", ".pdf", "/standalone"):
            for user in USERS:
                yield pytest.param(user, owner, suffix, _expected(user, owner), id=f"{user}-{owner}{suffix or '.html'}")


@pytest.mark.parametrize(("user", "owner", "suffix", "expected"), list(_page_cases()))
def test_summary_pages_by_role_and_owner(clients, summary_ids, user, owner, suffix, expected):
    response = clients[user].get(f"/summaries/{summary_ids[owner]}{suffix}", follow_redirects=False)
    assert response.status_code == expected, response.text[:300]
    if expected == 404:
        assert "does not exist, or you do not have access" in response.text
        assert owner not in response.text
    if expected == 200 and suffix == ".pdf":
        assert response.headers["content-type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")
        assert (
            f'filename="compliance-summary-{owner}-2025-10-06-2025-10-12.pdf"'
            in response.headers["content-disposition"]
        )
    if expected == 200 and suffix == "":
        assert "Compliance summary for Deputy Prosecutor" in response.text
        assert owner in response.text


@pytest.mark.parametrize(
    "path",
    [
        "/summaries/999999",
        "/summaries/999999.pdf",
        f"/summaries/{2**70}",
        "/api/summaries/999999",
        "/api/summaries/2147483647/pdf",
    ],
)
def test_unknown_summary_looks_like_another_deputy_prosecutors(clients, tokens, summary_ids, path):
    for user in ("dp.marsh", "gcu.head"):
        assert clients[user].get(path, headers={"Authorization": f"Bearer {tokens[user]}"}).status_code == 404


@pytest.mark.parametrize(
    "path", [f"/api/summaries/{2**70}", "/api/summaries/2147483648", "/api/summaries/-1", "/api/summaries/0/pdf"]
)
def test_an_id_outside_the_documented_range_is_bad_input_for_everyone(clients, tokens, summary_ids, path):
    """The schema bounds ids to 1..2**31-1 (PostgreSQL's integer): outside it, 422 whoever asks, so
    the answer says nothing about whose summaries exist."""
    for user in ("dp.marsh", "gcu.head"):
        assert clients[user].get(path, headers={"Authorization": f"Bearer {tokens[user]}"}).status_code == 422


def test_anonymous_visitors_are_sent_to_sign_in(clients, summary_ids):
    response = clients["anonymous"].get(f"/summaries/{summary_ids['DP-01']}", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


def test_summary_is_shown_inside_the_app_with_its_navigation(clients, summary_ids):
    page = clients["dp.marsh"].get(f"/summaries/{summary_ids['DP-01']}").text
    assert '<nav aria-label="Main">' in page and 'href="/dashboard"' in page
    assert re.search(r'<div class="summary-doc">\s*\n?<h1>Compliance summary for ', page)
    assert "<style>" not in page
    assert f'href="/summaries/{summary_ids["DP-01"]}/standalone"' in page


def test_summary_page_keeps_the_strict_csp_and_allows_only_its_own_stylesheet(clients, summary_ids):
    response = clients["dp.marsh"].get(f"/summaries/{summary_ids['DP-01']}/standalone")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    style = re.search(r"<style>(.*?)</style>", response.text, re.DOTALL).group(1)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert f"style-src 'self' 'sha256-{digest}';" in csp
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"


def _listed_ids(html: str) -> set[int]:
    return {int(i) for i in re.findall(r'data-summary="(\d+)"', html)}


def test_dashboard_lists_a_deputy_prosecutors_own_summaries_with_headline_figures(clients, summary_ids):
    page = clients["dp.marsh"].get("/dashboard").text
    assert "Compliance summaries" in page
    assert _listed_ids(page) == {summary_ids["DP-01"]}
    assert "2025-10-06 to 2025-10-12" in page
    assert f'href="/summaries/{summary_ids["DP-01"]}.pdf"' in page
    assert "Open blocking findings" in page and "Overdue reviews" in page


@pytest.mark.parametrize("user", sorted(ALL))
def test_dashboard_of_the_gcu_head_and_admin_lists_every_summary(clients, summary_ids, user):
    page = clients[user].get("/dashboard").text
    assert _listed_ids(page) == set(summary_ids.values())
    assert "DP-02" in page


# ---------------------------------------------------------------- API


def _api(clients, tokens, user, path):
    return clients["anonymous"].get(path, headers={"Authorization": f"Bearer {tokens[user]}"})


@pytest.mark.parametrize("user", USERS)
def test_api_summary_list_by_role(clients, tokens, summary_ids, user):
    response = _api(clients, tokens, user, "/api/summaries")
    if user in ALL:
        assert {s["id"] for s in response.json()} == set(summary_ids.values())
    elif user in DP:
        rows = response.json()
        assert [s["id"] for s in rows] == [summary_ids["DP-01"]]
        assert set(rows[0]) >= {
            "period_start",
            "period_end",
            "generated_at",
            "reviewed",
            "approved",
            "returned",
            "open_blocking",
            "overdue",
        }
    else:
        assert response.status_code == 403, response.text


def _api_cases():
    for owner in ("DP-01", "DP-02"):
        for suffix in ("", "/pdf"):
            for user in USERS:
                yield pytest.param(user, owner, suffix, _expected(user, owner), id=f"{user}-api-{owner}{suffix}")


@pytest.mark.parametrize(("user", "owner", "suffix", "expected"), list(_api_cases()))
def test_api_summary_by_role_and_owner(clients, tokens, summary_ids, user, owner, suffix, expected):
    response = _api(clients, tokens, user, f"/api/summaries/{summary_ids[owner]}{suffix}")
    assert response.status_code == expected, response.text[:300]
    if expected == 200 and suffix == "":
        body = response.json()
        assert body["deputy_prosecutor_id"] == owner
        assert body["html"].startswith("<!DOCTYPE html>")
        assert body["pdf_url"] == f"/api/summaries/{summary_ids[owner]}/pdf"
        assert "pdf" not in body
    if expected == 200 and suffix == "/pdf":
        assert response.content.startswith(b"%PDF")


def test_api_dashboard_carries_the_callers_summaries(clients, tokens, summary_ids):
    rows = _api(clients, tokens, "dp.marsh", "/api/dashboard").json()["compliance_summaries"]
    assert [s["id"] for s in rows] == [summary_ids["DP-01"]]
