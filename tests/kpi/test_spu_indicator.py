"""The SPU indicator (contract v2 §6.1) on a hand-counted quarter, on SQLite and PostgreSQL."""

from datetime import date

import pytest
from sqlmodel import Session, select

from models.spu_tables import InterviewRecordFacts
from models.tables import Finding
from store.kpi.config import SpuConfig
from store.kpi.facts import record_product_facts
from store.kpi.periods import parse_period
from store.kpi.report import compute_kpis
from store.kpi.spu import compute_spu_indicator
from tests.kpi import factories as f

Q1 = parse_period("2026-Q1")
QUALIFIED = {"during": "present", "provider_role": "psychologist"}


def record(
    s: Session,
    pid: str,
    team: str,
    submitted: date,
    recorded: date,
    witness: dict,
    support: dict | None = None,
    situation: str = "Velmora",
    format_error: bool = False,
    findings: dict[str, str] | None = None,
):
    """A stored IR version with its facts (as the pre-check records them) and its findings."""
    groups = {"witnesses": [witness], "record": {"date": recorded.isoformat()}}
    if support is not None:
        groups["psychosocial_support"] = support
    v = f.version(s, pid, "IR", team, submitted, situation=situation, **groups)
    if format_error:
        v.verdict = "format_error"
        record_product_facts(session=s, version=v)
    for rule_id, state in (findings or {}).items():
        s.add(
            Finding(
                finding_id=f"{pid}:v{v.version_no}:{rule_id}",
                product_id=pid,
                version_id=v.id,
                rule_id=rule_id,
                severity="major",
                message="m",
                state=state,
            )
        )
    s.flush()
    return v


def child(code: str, age: int = 16, survivor: bool = True, **more) -> dict:
    return {"code": code, "age": age, "sgbc_survivor": survivor, **more}


@pytest.fixture
def session(fresh_engine):
    with Session(fresh_engine, expire_on_commit=False) as s:
        f.team(s, "T-A", situation="Velmora")
        f.team(s, "T-B", situation="Quarry")
        # A-IR1: child survivor, psychologist present, every need met.
        record(
            s,
            "A-IR1",
            "T-A",
            date(2026, 1, 12),
            date(2026, 1, 10),
            child("OR-C-1", stated_needs=[{"need": "support_person", "met": "yes"}]),
            QUALIFIED,
        )
        # A-IR2: adult LGBTQI+ wheelchair user, expert on call; filed 24 days after; a need partly met;
        # VUL-IR-03 still open.
        record(
            s,
            "A-IR2",
            "T-A",
            date(2026, 2, 25),
            date(2026, 2, 1),
            {
                "code": "OR-C-2",
                "age": 30,
                "sgbc_survivor": False,
                "vulnerabilities": ["lgbtqi", "physical_disability"],
                "stated_needs": [{"need": "schedule", "met": "partly"}],
            },
            {"during": "on_call", "provider_role": "psychosocial_expert"},
            findings={"VUL-IR-03": "open"},
        )
        # A-IR3: the same witness again; v1 supported, v2 (counted) without support but its VUL-IR-04
        # finding dismissed by the SPU reviewer.
        record(s, "A-IR3", "T-A", date(2026, 3, 6), date(2026, 3, 5), child("OR-C-1"), QUALIFIED)
        record(
            s,
            "A-IR3",
            "T-A",
            date(2026, 3, 8),
            date(2026, 3, 5),
            child("OR-C-1"),
            {"during": "none"},
            findings={"VUL-IR-04": "dismissed"},
        )
        # A-IR5: v1 by the reporting date, unsupported, a need not met; v2 comes after the quarter.
        record(
            s,
            "A-IR5",
            "T-A",
            date(2026, 3, 31),
            date(2026, 3, 30),
            child("OR-C-5", age=10, survivor=False, stated_needs=[{"need": "health", "met": "no"}]),
            {"during": "none"},
        )
        record(
            s, "A-IR5", "T-A", date(2026, 4, 2), date(2026, 3, 30), child("OR-C-5", age=10, survivor=False), QUALIFIED
        )
        # B-IR1: disability of no stated kind, support by a trusted person (not qualified), a witness
        # code that is not well formed; filed exactly 14 days after (not late); VUL-IR-05 dismissed.
        record(
            s,
            "B-IR1",
            "T-B",
            date(2026, 1, 19),
            date(2026, 1, 5),
            {"code": "or-c-9", "age": 50, "sgbc_survivor": False, "disability": True},
            {"during": "present", "provider_role": "support_person"},
            situation="Quarry",
            findings={"VUL-IR-05": "dismissed"},
        )
        # B-IR2: an adult with nothing recorded: context only.
        record(
            s,
            "B-IR2",
            "T-B",
            date(2026, 2, 2),
            date(2026, 2, 1),
            child("OR-C-7", age=40, survivor=False),
            QUALIFIED,
            situation="Quarry",
        )
        # Outside the quarter by record date, and a format error counted apart.
        record(s, "B-IR3", "T-B", date(2026, 4, 3), date(2026, 4, 2), child("OR-C-8"), QUALIFIED, situation="Quarry")
        record(s, "B-IR4", "T-B", date(2026, 1, 2), date(2025, 12, 30), child("OR-C-9"), QUALIFIED, situation="Quarry")
        record(s, "C-IR1", "T-A", date(2026, 2, 3), date(2026, 2, 2), child("OR-C-10"), QUALIFIED, format_error=True)
        # Not an interview record: no SPU facts.
        f.version(s, "A-IO", "IO", "T-A", date(2026, 2, 1), **f.io_groups(date(2026, 2, 15), age=12))
        s.commit()
        yield s


def test_the_spu_indicator_matches_a_hand_count(session):
    r = compute_spu_indicator(session=session, period=Q1)
    # D: A-IR1, A-IR2, A-IR3 (v2), A-IR5 (v1), B-IR1; N: A-IR1, A-IR2, A-IR3 (dismissed finding).
    assert (r.kpi, r.numerator, r.denominator, r.value, r.status) == ("SPU", 3, 5, 0.6, "no target")
    d = r.details
    assert d["with_support_present"] == 2  # A-IR1, B-IR1
    assert d["with_support_on_call"] == 1  # A-IR2
    assert d["distinct_witnesses"] == 4  # OR-C-1 twice, OR-C-2, OR-C-5, B-IR1 (no well-formed code)
    assert d["assessment_and_conduct_standards_met"] == 4  # all but A-IR2 (VUL-IR-03 open)
    assert d["all_needs_met"] == 3  # A-IR1, A-IR3 (no need entry), B-IR1
    assert d["not_vulnerable_records"] == 1  # B-IR2
    assert [x["product_id"] for x in d["late_records"]] == ["A-IR2"]
    assert d["late_records"][0]["days_after"] == 24
    assert [x["product_id"] for x in d["records_without_support"]] == ["A-IR5", "B-IR1"]
    assert (d["format_error_records"], [x["product_id"] for x in d["format_errors"]]) == (1, ["C-IR1"])


def test_the_spu_indicator_breaks_down_by_team_situation_and_vulnerability_category(session):
    r = compute_spu_indicator(session=session, period=Q1)

    def rows(name):
        return [(b.key, b.numerator, b.denominator) for b in r.breakdowns[name]]

    assert rows("team") == [("T-A", 3, 4), ("T-B", 0, 1)]
    assert rows("situation") == [("Quarry", 0, 1), ("Velmora", 3, 4)]
    # A record counts in every category of its witness, in the order of v2 §6.1.
    assert rows("vulnerability_category") == [
        ("child", 2, 3),
        ("sgbc_survivor", 2, 2),
        ("physical_disability", 1, 1),
        ("disability_unspecified", 0, 1),
        ("lgbtqi", 1, 1),
    ]


def test_the_spu_indicator_scopes_and_definition_switches(session):
    r = compute_spu_indicator(session=session, period=Q1, team_id="T-B")
    assert (r.numerator, r.denominator, r.details["not_vulnerable_records"], r.scope) == (0, 1, 1, "team:T-B")
    r = compute_spu_indicator(session=session, period=Q1, config=SpuConfig(dismissed_support_finding_counts=False))
    assert (r.numerator, r.denominator) == (2, 5)
    r = compute_spu_indicator(session=session, period=Q1, config=SpuConfig(late_after_days=1))
    assert [x["product_id"] for x in r.details["late_records"]] == ["A-IR1", "A-IR2", "A-IR3", "B-IR1"]  # A-IR5: 1 day
    # Q2: A-IR5's second version and B-IR3.
    r = compute_spu_indicator(session=session, period=parse_period("2026-Q2"))
    assert (r.numerator, r.denominator) == (1, 1)
    assert compute_spu_indicator(session=session, period=parse_period("2025-Q3")).value is None


def test_only_interview_records_get_spu_facts_and_every_kpi_report_carries_the_indicator(session):
    ids = set(session.exec(select(InterviewRecordFacts.product_id)).all())
    assert "A-IO" not in ids and {"A-IR1", "C-IR1"} <= ids
    results = compute_kpis(session=session, today=date(2026, 3, 31), period=Q1)
    assert [r.kpi for r in results] == ["10", "11", "12", "SPU"]
    assert (results[-1].numerator, results[-1].denominator) == (3, 5)


def test_the_kpi_command_prints_the_spu_indicator_as_a_table_json_and_csv(session, fresh_engine, monkeypatch):
    import json

    import typer
    from typer.testing import CliRunner

    from cli.kpi import register
    from settings import get_settings

    monkeypatch.setenv("DATABASE_URL", fresh_engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    app = typer.Typer()
    register(app)
    runner = CliRunner()
    try:
        out = runner.invoke(app, ["kpi", "--period", "2026-Q1", "--only", "spu", "--format", "json"])
        assert out.exit_code == 0, out.output
        (spu,) = json.loads(out.output)
        assert (spu["kpi"], spu["numerator"], spu["denominator"]) == ("SPU", 3, 5)
        assert [r["key"] for r in spu["breakdowns"]["vulnerability_category"]][:2] == ["child", "sgbc_survivor"]
        assert spu["details"]["late_records"][0]["product_id"] == "A-IR2"
        out = runner.invoke(app, ["kpi", "--period", "2026-Q1", "--only", "SPU", "--format", "csv"])
        assert out.exit_code == 0, out.output
        lines = out.output.splitlines()
        assert lines[1].startswith("SPU,2026-Q1,all,total,,3,5,0.6000")
        assert "SPU,2026-Q1,all,vulnerability_category,lgbtqi,1,1,1.0000,," in lines
        out = runner.invoke(app, ["kpi", "--period", "2026-Q1", "--only", "SPU"])
        assert out.exit_code == 0, out.output
        assert "SPU indicator by vulnerability_category" in out.output and "late_records: 1" in out.output
        bad = runner.invoke(app, ["kpi", "--only", "13"])
        assert bad.exit_code == 2 and "choose from 10, 11, 12, SPU" in bad.output
    finally:
        get_settings.cache_clear()
