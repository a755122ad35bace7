"""`rules impact`: pack 2.0.0 run over the v1 dev samples stored as judged by pack 1.0.0 reports
exactly the changes of v2/samples/expected-v1-samples-under-v2.yaml, per product and per rule."""

import json
from pathlib import Path

from typer.testing import CliRunner

from models.tables import Review, utcnow
from rules.library import engine_for
from rules.roster import load_roster
from service.impact import render_text, run_impact
from store.db import session_scope
from store.findings import record_findings
from store.roster_import import import_roster
from tests.store.factories import new_version

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "samples"
TEAMS = {
    "S1": "T-HERON",
    "S2": "T-HERON",
    "S3": "T-HERON",
    "S4": "T-OSPREY",
    "S5": "T-KESTREL",
    "S6": "T-OSPREY",
    "S7": "T-KESTREL",
    "S8": "T-HERON",
}


def _store_v1_judgements(db) -> dict[str, str]:
    """Each sample stored and pre-checked with pack 1.0.0, as before the switch to 2.0.0."""
    v1 = engine_for("1.0")
    ids = {}
    with session_scope(db) as session:
        import_roster(session=session, load=load_roster(SAMPLES / "roster.yaml"))
    for path in sorted(SAMPLES.glob("S*.md")):
        text = path.read_text()
        with session_scope(db) as session:
            version = new_version(
                session, product_type=path.name.split("-")[1], text=text, team_id=TEAMS[path.name[:2]]
            )
            result = v1.check_text(text, load_roster(SAMPLES / "roster.yaml").roster)
            record_findings(session=session, version=version, findings=result.findings, at=utcnow())
            version.verdict, version.pack_version = result.verdict.value, result.pack_version
            ids[path.name[:2]] = version.product_id
    return ids


def _review(db, product_id: str, state: str) -> None:
    with session_scope(db) as session:
        session.add(
            Review(
                product_id=product_id,
                workflow_id=f"product-review-{product_id}",
                state=state,
                team_id="T-HERON",
                product_type="IO",
                situation="Situation in Velmora",
            )
        )


def test_pack_2_over_products_judged_by_pack_1(fresh_engine):
    ids = _store_v1_judgements(fresh_engine)
    _review(fresh_engine, ids["S2"], "in_review")
    _review(fresh_engine, ids["S3"], "approved")
    report = run_impact(db_engine=fresh_engine, candidate=engine_for("2.0"), active=engine_for("1.0"))
    assert (report.products, report.products_changed, report.open_reviews_changed) == (8, 3, 1)
    changes = {c.product_id: c for c in report.changes}
    assert set(changes) == {ids["S2"], ids["S3"], ids["S5"]}
    s2 = changes[ids["S2"]]
    assert (s2.verdict_before, s2.verdict_after.value, s2.judged_by, s2.review_state) == (
        "clean",
        "revise",
        "1.0.0",
        "in_review",
    )
    assert {(f.rule_id, f.severity) for f in s2.added} == {("VUL-INT-02", "major"), ("LANG-04", "advisory")}
    assert not s2.removed
    assert [f.rule_id for f in changes[ids["S3"]].added] == ["VUL-INT-02"]
    assert changes[ids["S3"]].verdict_before == changes[ids["S3"]].verdict_after.value == "blocked"
    assert [f.rule_id for f in changes[ids["S5"]].added] == ["LANG-04"]
    assert report.verdicts == {"clean -> revise": 1}
    rules = {r.rule_id: r for r in report.rules}
    assert (rules["VUL-INT-02"].status, rules["VUL-INT-02"].products_hit, rules["VUL-INT-02"].products_added) == (
        "new",
        2,
        2,
    )
    assert (rules["LANG-04"].products_hit, rules["LANG-04"].products_added) == (2, 2)
    # S7's STAFF-04 fires under both packs, for other reasons: a changed rule that hits without adding.
    assert (rules["STAFF-04"].status, rules["STAFF-04"].products_hit, rules["STAFF-04"].products_added) == (
        "changed",
        1,
        0,
    )
    assert {r for r, v in rules.items() if v.status == "new"} == {
        "VUL-INT-01",
        "VUL-INT-02",
        "VUL-INT-03",
        "VUL-INT-04",
        "GEN-MP-06",
        "GEN-IR-01",
        "GEN-IR-02",
        "VUL-IR-03",
        "VUL-IR-04",
        "VUL-IR-05",
        "VUL-IR-06",
        "VUL-IR-07",
        "LANG-04",
    }
    text = render_text(report)
    assert (
        "8 products, 3 would change (1 of them in open reviews)" in text
        and "clean -> revise" in text
        and "+ VUL-INT-02 (major)" in text
    )


def test_the_same_pack_changes_nothing(fresh_engine):
    _store_v1_judgements(fresh_engine)
    report = run_impact(db_engine=fresh_engine, candidate=engine_for("1.0"), active=engine_for("1.0"))
    assert (report.products, report.products_changed, report.rules) == (8, 0, [])


def test_cli_rules_impact_json(fresh_engine, monkeypatch):
    from cli.main import app
    from settings import get_settings

    _store_v1_judgements(fresh_engine)
    monkeypatch.setenv("DATABASE_URL", fresh_engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("RULES_PACK_VERSION", "1.0")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["rules", "impact", "--pack", "2.0", "--format", "json"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["candidate_version"], data["active_version"], data["products_changed"]) == ("2.0.0", "1.0.0", 3)


def test_cli_rules_impact_shows_progress_on_a_terminal_only(fresh_engine, monkeypatch):
    from cli.main import app
    from settings import get_settings

    _store_v1_judgements(fresh_engine)
    monkeypatch.setenv("DATABASE_URL", fresh_engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("RULES_PACK_VERSION", "1.0")
    get_settings.cache_clear()
    try:
        piped = CliRunner().invoke(app, ["rules", "impact", "--pack", "2.0"])
        monkeypatch.setenv("FORCE_COLOR", "1")  # rich: stderr counts as a terminal
        terminal = CliRunner().invoke(app, ["rules", "impact", "--pack", "2.0"])
    finally:
        get_settings.cache_clear()
    assert piped.exit_code == terminal.exit_code == 0, piped.output
    assert "products" not in piped.stderr
    assert "products" in terminal.stderr and "8/8" in terminal.stderr
    assert terminal.stdout == piped.stdout  # the report itself is the same, on stdout
