"""The certification register: add with default validity, renew, revoke, import, gaps."""

from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session, select

from models.tables import Briefing, Certification
from store.cert_gaps import gap_report
from store.cert_import import ImportRefused, import_records, parse_file
from store.certifications import (
    RegisterError,
    add_certification,
    list_certifications,
    renew_certification,
    revoke_certification,
)
from tests.kpi import factories as f


@pytest.fixture
def session(fresh_engine):
    with Session(fresh_engine, expire_on_commit=False) as s:
        f.team(s, "T1", leader="L1", members=["I1", "P1"])
        f.staff(s, "L1", ["team_leader"])
        f.staff(s, "I1", ["investigator", "interpreter"], designations=["interviews_children"])
        f.staff(s, "P1", ["interpreter"])
        s.commit()
        yield s


def test_default_validity_is_three_years_basic_two_years_adv(session):
    basic = add_certification(session=session, staff_id="L1", cert="SGBC_BASIC", issued=date(2024, 3, 4))
    adv = add_certification(session=session, staff_id="L1", cert="CAC_ADV", issued=date(2024, 2, 29))
    assert basic.expires == date(2027, 3, 3)
    assert adv.expires == date(2026, 2, 27)


def test_refusals_name_the_problem(session):
    with pytest.raises(RegisterError, match="unknown certification 'FOO'"):
        add_certification(session=session, staff_id="L1", cert="FOO", issued=date(2024, 1, 1))
    with pytest.raises(RegisterError, match="before issued"):
        add_certification(
            session=session, staff_id="L1", cert="CAC_BASIC", issued=date(2024, 1, 1), expires=date(2023, 1, 1)
        )
    add_certification(session=session, staff_id="L1", cert="CAC_BASIC", issued=date(2024, 1, 1))
    with pytest.raises(RegisterError, match="already has"):
        add_certification(session=session, staff_id="L1", cert="CAC_BASIC", issued=date(2024, 1, 1))
    with pytest.raises(RegisterError, match="no SGBC_ADV record to renew"):
        renew_certification(session=session, staff_id="L1", cert="SGBC_ADV", issued=date(2025, 1, 1))


def test_revoked_certificate_stops_counting_from_its_revocation_day(session):
    add_certification(session=session, staff_id="L1", cert="SGBC_BASIC", issued=date(2024, 1, 1))
    revoke_certification(
        session=session,
        staff_id="L1",
        cert="SGBC_BASIC",
        reason="training not completed",
        at=datetime(2026, 2, 1, 9, tzinfo=UTC),
    )
    before = list_certifications(session=session, on=date(2026, 1, 31), staff_id="L1", include_revoked=True)
    after = list_certifications(session=session, on=date(2026, 2, 1), staff_id="L1", include_revoked=True)
    assert [r.status for r in before] == ["valid"] and [r.status for r in after] == ["revoked"]


def test_gaps_union_of_roles_briefings_and_expiring(session):
    on = date(2026, 3, 1)
    f.cert(session, "L1", "SGBC_ADV", date(2024, 1, 1), date(2026, 4, 15))  # ADV covers BASIC, expiring in 45 days
    f.cert(session, "L1", "CAC_BASIC", date(2020, 1, 1), date(2023, 1, 1))  # expired
    f.briefing(session, "I1", "SGBC", date(2025, 1, 1), date(2027, 1, 1))
    f.briefing(session, "P1", "SGBC", date(2025, 1, 1), date(2027, 1, 1))
    f.cert(session, "P1", "CAC_BASIC", date(2025, 1, 1), date(2028, 1, 1))
    report = {p.staff_id: {g.requirement: g.status for g in p.gaps} for p in gap_report(session=session, on=on)}
    assert report["L1"] == {"SGBC_BASIC": "expiring", "CAC_BASIC": "expired"}
    # I1 is an interpreter too, but as an investigator a briefing does not replace SGBC_BASIC.
    assert report["I1"] == {"SGBC_BASIC": "missing", "CAC_ADV": "missing"}
    assert "P1" not in report  # interpreter: the SGBC briefing substitutes
    team = gap_report(session=session, on=on, team_id="T1", staff_id="L1")
    assert [p.teams for p in team] == [["T1"]]


def test_yaml_import_reports_every_bad_row_and_writes_nothing(session, tmp_path):
    path = tmp_path / "register.yaml"
    path.write_text(
        "certifications:\n"
        "  - {staff_id: L1, cert: SGBC_BASIC, issued: 2024-01-01}\n"
        "  - {staff_id: NOBODY, cert: SGBC_BASIC, issued: 2024-01-01, expires: 2026-01-01}\n"
        "  - {staff_id: L1, cert: SGBC_EXPERT, issued: 2024-01-01, expires: 2026-01-01}\n"
        "  - {staff_id: L1, cert: CAC_BASIC, issued: 2024-02-30, expires: 2026-01-01}\n"
        "briefings:\n"
        "  - {staff_id: P1, area: SGBC, date: 2025-01-01}\n"
    )
    parsed = parse_file(path, session=session)
    assert [(p.row, p.field) for p in parsed.problems] == [
        ("certifications[1] (line 3)", "staff_id"),
        ("certifications[2] (line 4)", "cert"),
        ("certifications[3] (line 5)", "issued"),
        ("briefings[0] (line 7)", "expires"),
    ]
    with pytest.raises(ImportRefused):
        import_records(session=session, parsed=parsed)
    assert session.exec(select(Certification)).all() == []


def test_csv_import_upserts_in_one_go_with_progress(session, tmp_path):
    path = tmp_path / "register.csv"
    path.write_text(
        "kind,staff_id,cert,issued,expires,area,date\n"
        "certification,L1,SGBC_BASIC,2024-01-01,,,\n"
        "certification,I1,CAC_ADV,2024-01-01,2025-12-31,,\n"
        "briefing,P1,,,2027-01-01,CAC,2025-01-01\n"
    )
    ticks = []
    result = import_records(session=session, parsed=parse_file(path, session=session), progress=ticks.append)
    assert (result.created, len(ticks)) == (3, 3)
    assert session.exec(select(Certification.expires).where(Certification.staff_id == "L1")).one() == date(2026, 12, 31)
    assert session.exec(select(Briefing.area)).all() == ["CAC"]
    again = import_records(session=session, parsed=parse_file(path, session=session))
    assert (again.created, again.unchanged) == (0, 3)


def test_csv_import_with_a_bad_row_names_line_and_field(session, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("staff_id,cert,issued,expires\nL1,SGBC_BASIC,2024-01-01,\nL1,CAC_BASIC,01/02/2024,\n")
    parsed = parse_file(path, session=session)
    assert [(p.row, p.field) for p in parsed.problems] == [("line 3", "issued")]
