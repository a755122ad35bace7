"""Every page and API endpoint against every role: what each person may open (200), what their role
forbids (403), what they may not even know exists (404), and what needs signing in (login / 401).

Products: WEB-HERON-1 (T-HERON) and WEB-KESTREL-1 (T-KESTREL) are in DP-01's cluster,
WEB-OSPREY-1 (T-OSPREY) in DP-02's. Actions that pass these checks go on to Temporal; they are
exercised in test_review_flow.py, here only the refusals (the app's stand-in client fails the test if
it is ever called)."""

import pytest

from tests.web.conftest import PRODUCTS, csrf_from

USERS = ["heron.lead", "kestrel.inv", "gcu.albrecht", "gcu.head", "dp.marsh", "admin"]
TEAM = {"heron.lead": "T-HERON", "kestrel.inv": "T-KESTREL"}
SEES = {
    "heron.lead": {"T-HERON"},
    "kestrel.inv": {"T-KESTREL"},
    "gcu.albrecht": set(PRODUCTS),
    "gcu.head": set(PRODUCTS),
    "dp.marsh": {"T-HERON", "T-KESTREL"},
    "admin": set(PRODUCTS),
}
GCU = {"gcu.albrecht", "gcu.head", "admin"}

PAGES = {
    "/team": {"heron.lead", "kestrel.inv"},
    "/products/new": {"heron.lead", "kestrel.inv"},
    "/queue": GCU,
    "/my-reviews": GCU,
    "/products": set(USERS),  # each sees only the products of the teams they may see
    "/dashboard": {"gcu.head", "dp.marsh", "admin"},
    "/certifications": set(USERS),
    "/notifications": set(USERS),
    "/account": set(USERS),
    "/admin/accounts": {"admin"},
    "/rules/impact": {"gcu.head", "admin"},
    "/rules/impact?pack=1.0": {"gcu.head", "admin"},
}


def test_the_product_list_shows_only_products_the_person_may_see(clients):
    for user in USERS:
        page = clients[user].get("/products").text
        for team, pid in PRODUCTS.items():
            assert (pid in page) is (team in SEES[user]), (user, pid)


def _page_cases():
    for path, allowed in PAGES.items():
        for user in USERS:
            yield pytest.param(user, path, 200 if user in allowed else 403, id=f"{user}-GET{path}")


def test_the_impact_page_offers_the_packs_and_runs_nothing_itself(clients):
    """The run happens in the worker (tests/web/test_rule_impact_runs.py): these clients have no
    Temporal, and the page must not need it."""
    page = clients["gcu.head"].get("/rules/impact?pack=1.0")
    assert page.status_code == 200
    assert '<option value="1.0.0" selected>1.0.0</option>' in page.text or 'value="1.0.0"' in page.text
    assert 'id="start-impact"' in page.text and "Pack 1.0.0 (contract" not in page.text


@pytest.mark.parametrize(("user", "path", "expected"), list(_page_cases()))
def test_page_access_by_role(clients, user, path, expected):
    response = clients[user].get(path, follow_redirects=False)
    assert response.status_code == expected, response.text[:300]


OBJECT_PAGES = ["", "/diff", "/audit", "/versions/1/text", "/versions/1/file", "/status", "/review", "/resubmit"]


def _object_expectation(user: str, team: str, suffix: str) -> int:
    if team not in SEES[user]:
        return 404
    if suffix == "/review":
        return 200 if user in GCU else 403
    if suffix == "/resubmit":
        if TEAM.get(user) != team:
            return 403
        return 200 if team == "T-OSPREY" else 409  # only a returned product takes a new version
    return 200


def _object_cases():
    for team, pid in PRODUCTS.items():
        for suffix in OBJECT_PAGES:
            for user in USERS:
                yield pytest.param(
                    user,
                    f"/products/{pid}{suffix}",
                    _object_expectation(user, team, suffix),
                    id=f"{user}-GET/products/{pid}{suffix}",
                )


@pytest.mark.parametrize(("user", "path", "expected"), list(_object_cases()))
def test_product_pages_show_only_products_the_person_may_see(clients, user, path, expected):
    response = clients[user].get(path, follow_redirects=False)
    assert response.status_code == expected, response.text[:300]
    if expected == 404:
        assert "does not exist, or you do not have access" in response.text


def test_unknown_product_and_hidden_product_look_the_same(clients):
    hidden = clients["heron.lead"].get(f"/products/{PRODUCTS['T-OSPREY']}")
    missing = clients["heron.lead"].get("/products/NO-SUCH-PRODUCT")
    assert hidden.status_code == missing.status_code == 404
    assert PRODUCTS["T-OSPREY"] not in hidden.text


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/team",
        "/queue",
        "/dashboard",
        f"/products/{PRODUCTS['T-HERON']}",
        f"/products/{PRODUCTS['T-HERON']}/versions/1/text",
        "/notifications",
    ],
)
def test_anonymous_visitors_are_sent_to_sign_in(clients, path):
    response = clients["anonymous"].get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


# ---------------------------------------------------------------- form actions (refusals only)

ACTIONS = {
    # path suffix: (form fields, who passes the role check given they may see the product)
    "/claim": ({}, {"gcu.albrecht", "gcu.head"}),
    "/assign": ({"reviewer_id": "GX-02"}, {"gcu.head"}),
    "/dismiss": ({"rule_id": "LANG-03", "reason": "quoted"}, {"gcu.albrecht", "gcu.head"}),
    "/decide": ({"decision": "approve"}, {"gcu.albrecht", "gcu.head"}),
    "/due-date": ({"due": "2030-01-01", "reason": "holidays"}, {"gcu.head"}),
    "/withdraw": ({"reason": "no longer needed"}, {"heron.lead", "kestrel.inv"}),
    "/comment": ({"text": "a remark"}, {"heron.lead", "kestrel.inv", "gcu.albrecht", "gcu.head"}),
}


def _action_refusals():
    for team, pid in PRODUCTS.items():
        for suffix, (fields, role_ok) in ACTIONS.items():
            for user in USERS:
                if team not in SEES[user]:
                    expected = 404
                elif user not in role_ok or (suffix == "/withdraw" and TEAM.get(user) != team):
                    expected = 403
                else:
                    continue  # allowed: goes to the workflow (test_review_flow.py)
                yield pytest.param(
                    user, f"/products/{pid}{suffix}", fields, expected, id=f"{user}-POST/products/{pid}{suffix}"
                )


@pytest.mark.parametrize(("user", "path", "fields", "expected"), list(_action_refusals()))
def test_actions_refused_by_role_or_object(clients, user, path, fields, expected):
    client = clients[user]
    token = csrf_from(client.get("/account").text)
    response = client.post(path, data={**fields, "csrf_token": token}, follow_redirects=False)
    assert response.status_code == expected, response.text[:300]


def test_resubmit_upload_refused_to_another_team(clients):
    client = clients["kestrel.inv"]
    token = csrf_from(client.get("/account").text)
    response = client.post(
        f"/products/{PRODUCTS['T-HERON']}/resubmit",
        data={"csrf_token": token},
        files={"file": ("x.md", b"---\n", "text/markdown")},
        follow_redirects=False,
    )
    assert response.status_code == 404


def test_submit_refused_to_people_outside_teams(clients):
    client = clients["gcu.albrecht"]
    token = csrf_from(client.get("/account").text)
    response = client.post("/products", data={"csrf_token": token}, files={"file": ("x.md", b"---\n", "text/markdown")})
    assert response.status_code == 403


@pytest.mark.parametrize(
    "path", ["/logout", f"/products/{PRODUCTS['T-HERON']}/claim", "/account/tokens", "/admin/accounts"]
)
def test_forms_without_the_csrf_token_are_refused(clients, path):
    user = "admin" if path == "/admin/accounts" else "gcu.head"
    response = clients[user].post(path, data={"csrf_token": "forged"}, follow_redirects=False)
    assert response.status_code == 403
    assert "CSRF" in response.text


# ---------------------------------------------------------------- API

API_READS = {
    "/api/me": set(USERS),
    "/api/products": set(USERS),
    "/api/queue": GCU,
    "/api/queue/counts": GCU,
    "/api/dashboard": {"gcu.head", "dp.marsh", "admin"},
    "/api/certifications": set(USERS),
    "/api/notifications": set(USERS),
}


def _api_cases():
    for path, allowed in API_READS.items():
        for user in USERS:
            yield pytest.param(user, path, 200 if user in allowed else 403, id=f"{user}-GET{path}")
    for team, pid in PRODUCTS.items():
        for suffix in ["", "/audit", "/diff", "/versions/1/findings", "/versions/1/text"]:
            for user in USERS:
                expected = 200 if team in SEES[user] else 404
                if suffix == "/diff" and expected == 200 and team != "T-HERON":
                    expected = 404  # a product with one version has nothing to compare
                yield pytest.param(
                    user, f"/api/products/{pid}{suffix}", expected, id=f"{user}-GET/api/products/{pid}{suffix}"
                )


@pytest.mark.parametrize(("user", "path", "expected"), list(_api_cases()))
def test_api_reads_by_role_and_object(clients, tokens, user, path, expected):
    response = clients["anonymous"].get(path, headers={"Authorization": f"Bearer {tokens[user]}"})
    assert response.status_code == expected, response.text[:300]


API_ACTIONS = {
    "/claim": ({}, {"gcu.albrecht", "gcu.head"}),
    "/assign": ({"reviewer_id": "GX-02"}, {"gcu.head"}),
    "/findings/LANG-03/dismiss": ({"reason": "quoted"}, {"gcu.albrecht", "gcu.head"}),
    "/decision": ({"decision": "approve"}, {"gcu.albrecht", "gcu.head"}),
    "/due-date": ({"due_at": "2030-01-01", "reason": "holidays"}, {"gcu.head"}),
    "/withdraw": ({"reason": "no longer needed"}, {"heron.lead", "kestrel.inv"}),
    "/comments": ({"text": "a remark"}, {"heron.lead", "kestrel.inv", "gcu.albrecht", "gcu.head"}),
}


def _api_action_refusals():
    for team, pid in PRODUCTS.items():
        for suffix, (body, role_ok) in API_ACTIONS.items():
            for user in USERS:
                if team not in SEES[user]:
                    expected = 404
                elif user not in role_ok or (suffix == "/withdraw" and TEAM.get(user) != team):
                    expected = 403
                else:
                    continue
                yield pytest.param(
                    user, f"/api/products/{pid}{suffix}", body, expected, id=f"{user}-POST/api/products/{pid}{suffix}"
                )


@pytest.mark.parametrize(("user", "path", "body", "expected"), list(_api_action_refusals()))
def test_api_actions_refused_by_role_or_object(clients, tokens, user, path, body, expected):
    response = clients["anonymous"].post(path, json=body, headers={"Authorization": f"Bearer {tokens[user]}"})
    assert response.status_code == expected, response.text[:300]


@pytest.mark.parametrize("header", [None, "Bearer gcu_not-a-token", "Basic YWRtaW46YWRtaW4="])
def test_api_needs_a_valid_bearer_token(clients, header):
    headers = {"Authorization": header} if header else {}
    response = clients["anonymous"].get("/api/products", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_api_ignores_the_browser_session(clients):
    # A page session must not authorise API calls: the API has no CSRF protection, tokens only.
    assert clients["gcu.head"].get("/api/queue").status_code == 401


def test_api_lists_only_visible_products(clients, tokens):
    listed = clients["anonymous"].get("/api/products", headers={"Authorization": f"Bearer {tokens['dp.marsh']}"}).json()
    assert {p["id"] for p in listed} >= {PRODUCTS["T-HERON"], PRODUCTS["T-KESTREL"]}
    assert PRODUCTS["T-OSPREY"] not in {p["id"] for p in listed}
