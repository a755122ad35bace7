"""Fuzz the JSON API against its own OpenAPI schema (schemathesis, in process): no 5xx, and every
documented response matches its schema. Bounded: at most FUZZ_EXAMPLES cases per operation.

Signed in with the GCU head's API token (broad read access), over the demo register and a few
stored products. Temporal is deliberately unreachable: actions that need it must answer 503 with
a clear message, never crash; everything before that (authentication, validation, access checks)
is fuzzed for real."""

import os
import uuid
from datetime import datetime, timezone

import pytest
from hypothesis import HealthCheck, settings

schemathesis = pytest.importorskip("schemathesis")
pytest.importorskip("web.app")

from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance  # noqa: E402
from sqlmodel import Session  # noqa: E402

from models.tables import Review  # noqa: E402
from service.demo import import_demo_roster  # noqa: E402
from settings import Settings  # noqa: E402
from store.db import make_engine, migrate  # noqa: E402
from store.products import create_version  # noqa: E402

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
UNREACHABLE_TEMPORAL = "127.0.0.1:1"
# 500s this fuzzing found in web/routes/api.py, reported with a fix (issue-6 security report). Each must
# keep reproducing (derandomized examples) until fixed; then delete its line and the test turns strict.
KNOWN_FAILURES: dict[str, str] = {}


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory):
    from store.accounts import create_api_token, get_account, seed_demo_accounts
    from web.app import create_app

    tmp = tmp_path_factory.mktemp("fuzz")
    settings = Settings(
        environment="development", database_url=f"sqlite:///{tmp / 'fuzz.db'}", var_dir=tmp,
        secret_key="fuzz-secret-" + uuid.uuid4().hex, temporal_address=UNREACHABLE_TEMPORAL,
    )
    migrate(settings.database_url)
    engine = make_engine(settings.database_url)
    import_demo_roster(engine)
    seed_demo_accounts(db_engine=engine)
    with Session(engine) as session:
        for n, state in enumerate(("queued", "in_review", "approved")):
            pid = f"IP-FUZZ-{n}"
            create_version(
                session=session, product_id=pid, product_type="IP", team_id="T-HERON", situation="Situation in Velmora",
                author_id="HE-01", title=f"Plan {n}", version_label="1", filename=f"{pid}.md", media_type="text/markdown",
                content=b"---\nproduct: {}\n---\n# Plan\n", front_matter={}, submitted_by="HE-01",
            )
            session.add(Review(product_id=pid, workflow_id=f"product-review-{pid}", state=state, team_id="T-HERON",
                               product_type="IP", situation="Situation in Velmora", updated_at=datetime.now(timezone.utc)))
        _row, token = create_api_token(session=session, account=get_account(session=session, username="gcu.head"), name="fuzz")
        session.commit()
    app = create_app(settings, db_engine=engine)
    yield app, token
    engine.dispose()


@pytest.fixture(scope="module")
def api_schema(fuzz_app):
    app, _token = fuzz_app
    return schemathesis.openapi.from_asgi("/api/openapi.json", app)


def _operations(api_schema):
    for result in api_schema.get_all_operations():
        yield result.ok()


def test_the_api_never_fails_and_keeps_its_schema(api_schema, fuzz_app):
    """Each operation gets its own bounded hypothesis run (schemathesis' pytest loader does not
    work with this pytest yet, so the loop is written out)."""
    from hypothesis import given

    _app, token = fuzz_app
    headers = {"Authorization": f"Bearer {token}"}
    operations = list(_operations(api_schema))
    assert len(operations) >= 10, [op.label for op in operations]

    failures = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None,
                  derandomize=True)
        def fuzz(case):
            response = case.call(headers=headers)
            if response.status_code == 503:
                # Temporal is down on purpose: the one acceptable 5xx, and it must say so.
                assert "not reachable" in response.json()["detail"], (operation.label, response.text)
                return
            case.validate_response(
                response, checks=[not_a_server_error, response_schema_conformance, content_type_conformance], headers=headers
            )

        try:
            fuzz()
        except Exception as exc:  # collect every operation's failure, then report them all
            first = next((line for line in str(exc).splitlines() if line.strip()), type(exc).__name__)
            failures.append(f"{operation.label}: {type(exc).__name__}: {first[:300]}")
    unknown = [f for f in failures if not any(f.startswith(op + ":") and kind in f for op, kind in KNOWN_FAILURES.items())]
    assert not unknown, "\n".join(unknown)
    fixed = [op for op in KNOWN_FAILURES if not any(f.startswith(op + ":") for f in failures)]
    assert not fixed, f"no longer failing, remove from KNOWN_FAILURES: {fixed}"
    if failures:
        pytest.xfail("known 500s in the API (see KNOWN_FAILURES):\n" + "\n".join(failures))
