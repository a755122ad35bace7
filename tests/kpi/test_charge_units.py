"""KPI 11 register: seeding from CS front matter, outcomes, CSV import, lineage."""

from datetime import date

import pytest
from sqlmodel import Session, select

from models.kpi_tables import ChargeUnit
from store.cert_import import ImportRefused
from store.kpi.charge_units import ChargeUnitError, import_outcomes, link_units, seed_charge_units, set_outcome
from tests.kpi import factories as f

COUNTS = [
    {"no": 1, "crime": "rape", "status": "charged"},  # no `suspects`: every product suspect
    {"no": 2, "crime": "torture", "is_sgbc": True, "suspects": ["S-1"], "status": "proposed"},
    {"no": 3, "crime": "child_recruitment", "status": "dropped", "reason": "insufficient evidence"},
    {"no": 4, "crime": "pillage", "status": "charged"},
]


@pytest.fixture
def session(fresh_engine):
    with Session(fresh_engine, expire_on_commit=False) as s:
        f.version(
            s,
            "AWA-1",
            "CS",
            "T1",
            date(2026, 1, 5),
            stage="AWA",
            suspects=["S-1"],
            counts=[{"no": 1, "crime": "rape", "status": "charged"}],
        )
        f.version(s, "DCC-1", "CS", "T1", date(2026, 2, 5), stage="DCC", suspects=["S-1", "S-2"], counts=COUNTS)
        f.version(s, "OTHER-1", "CS", "T1", date(2026, 2, 5), stage="OTHER", suspects=["S-1"], counts=COUNTS)
        s.commit()
        yield s


def units(s, product):
    return {u.unit_key: u for u in s.exec(select(ChargeUnit).where(ChargeUnit.product_id == product))}


def test_seed_one_unit_per_active_count_and_suspect(session):
    report = seed_charge_units(session=session)
    dcc = units(session, "DCC-1")
    assert sorted(dcc) == [
        "DCC-1:DCC:1:S-1",
        "DCC-1:DCC:1:S-2",
        "DCC-1:DCC:2:S-1",
        "DCC-1:DCC:4:S-1",
        "DCC-1:DCC:4:S-2",
    ]
    assert dcc["DCC-1:DCC:1:S-2"].is_sgbc and dcc["DCC-1:DCC:1:S-2"].sgbc_basis == "explicit"
    assert dcc["DCC-1:DCC:2:S-1"].sgbc_basis == "underlying_conduct"
    assert not dcc["DCC-1:DCC:4:S-1"].is_sgbc and not dcc["DCC-1:DCC:4:S-1"].is_cac
    assert units(session, "OTHER-1") == {}
    assert (report.created, report.linked) == (6, 1)
    # The DCC rape count of S-1 continues the AWA one (same case, suspect, crime).
    assert dcc["DCC-1:DCC:1:S-1"].linked_unit_prev_stage == units(session, "AWA-1")["AWA-1:AWA:1:S-1"].id


def test_reseeding_keeps_outcomes_and_marks_counts_that_left_the_source(session):
    seed_charge_units(session=session)
    unit = units(session, "DCC-1")["DCC-1:DCC:2:S-1"]
    set_outcome(session=session, unit_id=unit.id, outcome="granted", date=date(2026, 5, 1), filed=date(2026, 3, 1))
    counts = [dict(c) for c in COUNTS]
    counts[1]["status"] = "dropped"
    f.version(session, "DCC-1", "CS", "T1", date(2026, 2, 20), stage="DCC", suspects=["S-1", "S-2"], counts=counts)
    report = seed_charge_units(session=session)
    assert (report.created, report.left_source) == (0, 1)
    again = units(session, "DCC-1")["DCC-1:DCC:2:S-1"]
    assert (again.in_source, again.outcome, again.decision_date) == (False, "granted", date(2026, 5, 1))


def test_outcome_needs_its_date_and_links_go_forward(session):
    seed_charge_units(session=session)
    dcc = units(session, "DCC-1")["DCC-1:DCC:4:S-1"]
    with pytest.raises(ChargeUnitError, match="needs the decision date"):
        set_outcome(session=session, unit_id=dcc.id, outcome="declined")
    awa = units(session, "AWA-1")["AWA-1:AWA:1:S-1"]
    with pytest.raises(ChargeUnitError, match="not at a stage before"):
        link_units(session=session, unit_id=awa.id, prev_unit_id=dcc.id)


def test_outcome_csv_import_is_all_or_nothing(session):
    seed_charge_units(session=session)
    session.commit()
    keys = units(session, "DCC-1")
    good = "DCC-1:DCC:1:S-1"
    text = (
        "unit_key,outcome,decision_date,filing_date\n"
        f"{good},granted,2026-06-01,2026-03-01\n"
        "DCC-1:DCC:1:S-2,granted,2026-13-01,2026-03-01\n"
        "NOPE,granted,2026-06-01,\n"
    )
    with pytest.raises(ImportRefused) as refused:
        import_outcomes(session=session, text=text)
    session.rollback()
    assert [(p.row, p.field) for p in refused.value.problems] == [("line 3", "decision_date"), ("line 4", "unit_key")]
    assert session.get(ChargeUnit, keys[good].id).outcome == "pending"
    result = import_outcomes(
        session=session, text=f"unit_key,outcome,decision_date,filing_date\n{good},granted,2026-06-01,2026-03-01\n"
    )
    assert result.updated == 1
    assert session.get(ChargeUnit, keys[good].id).filing_date == date(2026, 3, 1)
