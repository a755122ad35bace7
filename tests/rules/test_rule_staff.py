"""Staff certification (requirements.md §4, §5.8, format §8): STAFF-01 ... STAFF-04."""

import pytest

from tests.rules.factories import (
    DROP,
    Raw,
    ap,
    assert_fires,
    assert_silent,
    io_adult,
    io_child,
    ip,
    mp,
    remove_briefings,
    remove_records,
    roster_with,
)

NOT_SURVIVOR = {"witnesses[0].sgbc_survivor": False}


def cert(staff_id, name, issued="2024-01-01", expires="2027-12-31"):
    record = {"staff_id": staff_id, "cert": name, "issued": issued}
    if expires is not DROP:
        record["expires"] = expires
    return record


def replacing(staff_id, name, *records):
    """Roster where `staff_id`'s records of `name` are replaced by `records`."""

    def mutate(data):
        remove_records(data, staff_id, name)
        data["certifications"].extend(records)

    return roster_with(mutate)


# ---------------------------------------------------------------- STAFF-01 (IO)
@pytest.mark.parametrize("interviewer", ["AL-02", "TBD", "none", DROP, None])
def test_staff_01_fires_when_child_interviewer_lacks_cac_adv(interviewer):
    spec = io_child(**{"interview.interviewer": interviewer})
    assert_fires(spec, "STAFF-01", "blocking", "field:interview.interviewer")


@pytest.mark.parametrize(
    "record",
    [
        cert("AL-03", "CAC_ADV", expires="2025-08-25"),  # expired the day before
        cert("AL-03", "CAC_ADV", issued="2025-08-27"),  # issued after
        cert("AL-03", "CAC_ADV", expires=DROP),  # undated: never valid
        cert("AL-03", "CAC_ADV", expires="2027-02-30"),  # not a real date
        cert("AL-03", "cac_adv"),  # unknown cert: ignored
    ],
    ids=["expired", "not-yet-issued", "no-expiry", "invalid-expiry", "unknown-cert"],
)
def test_staff_01_fires_when_the_cac_adv_record_is_not_valid_on_the_interview_date(record):
    assert_fires(
        io_child(), "STAFF-01", "blocking", "field:interview.interviewer", roster=replacing("AL-03", "CAC_ADV", record)
    )


@pytest.mark.parametrize(
    "record",
    [
        cert("AL-03", "CAC_ADV", issued="2025-08-26"),
        cert("AL-03", "CAC_ADV", expires="2025-08-26"),
    ],
    ids=["issued-on-the-day", "expires-on-the-day"],
)
def test_staff_01_validity_is_inclusive_of_issue_and_expiry_dates(record):
    assert_silent(io_child(), "STAFF-01", roster=replacing("AL-03", "CAC_ADV", record))


def test_staff_01_accepts_a_renewed_certificate_next_to_a_lapsed_one():
    roster = replacing(
        "AL-03",
        "CAC_ADV",
        cert("AL-03", "CAC_ADV", "2021-01-01", "2023-01-01"),
        cert("AL-03", "CAC_ADV", "2023-01-02", "2026-01-01"),
    )
    assert_silent(io_child(), "STAFF-01", roster=roster)


def test_staff_01_ignores_records_of_ids_not_in_the_staff_list():
    roster = roster_with(lambda d: d["certifications"].append(cert("TBD", "CAC_ADV")))
    assert_fires(io_child(**{"interview.interviewer": "TBD"}), "STAFF-01", "blocking", roster=roster)


def test_staff_01_does_not_apply_to_adults():
    assert_silent(io_adult(**{"interview.interviewer": "AL-02"}), "STAFF-01")


def test_staff_01_applies_to_a_child_who_is_not_a_survivor():
    assert_fires(io_child(**NOT_SURVIVOR, **{"interview.interviewer": "AL-02"}), "STAFF-01", "blocking")


# ---------------------------------------------------------------- STAFF-01 (MP)
def test_staff_01_fires_in_mp_for_the_first_child_witness_without_cac_adv():
    spec = mp(**{"witnesses[3].interviewer": "AL-02"})
    assert_fires(spec, "STAFF-01", "blocking", "field:witnesses[3].interviewer")
    spec = mp(**{"witnesses[0].interviewer": DROP, "witnesses[3].interviewer": "AL-02"})
    assert_fires(spec, "STAFF-01", "blocking", "field:witnesses[0].interviewer")


def test_staff_01_in_mp_needs_validity_over_the_whole_mission():
    roster = replacing("AL-03", "CAC_ADV", cert("AL-03", "CAC_ADV", expires="2025-09-10"))
    assert_fires(mp(), "STAFF-01", "blocking", "field:witnesses[0].interviewer", roster=roster)
    roster = replacing("AL-03", "CAC_ADV", cert("AL-03", "CAC_ADV", issued="2025-09-08", expires="2025-09-12"))
    assert_silent(mp(), "STAFF-01", roster=roster)


def test_staff_01_in_mp_does_not_check_adult_witnesses():
    assert_silent(mp(**{"witnesses[2].interviewer": "AL-02"}), "STAFF-01")


# ---------------------------------------------------------------- STAFF-02
@pytest.mark.parametrize("interviewer", ["GX-04", "TBD", "n/a", DROP])
def test_staff_02_fires_when_survivor_interviewer_lacks_sgbc_adv(interviewer):
    spec = io_adult(**{"interview.interviewer": interviewer})
    assert_fires(spec, "STAFF-02", "blocking", "field:interview.interviewer")


@pytest.mark.parametrize(
    "records",
    [[], [cert("AL-03", "SGBC_BASIC")], [cert("AL-03", "CAC_ADV")]],
    ids=["none", "basic-only", "other-area-adv"],
)
def test_staff_02_needs_sgbc_adv_itself(records):
    def mutate(data):
        remove_records(data, "AL-03")
        data["certifications"].extend(records)

    assert_fires(io_adult(), "STAFF-02", "blocking", "field:interview.interviewer", roster=roster_with(mutate))


def test_staff_02_applies_to_a_child_survivor_alongside_staff_01():
    roster = roster_with(lambda d: remove_records(d, "AL-03", "SGBC_ADV"))
    result = io_child().check(roster)
    assert {f.rule_id for f in result.findings} >= {"STAFF-02"}
    assert "STAFF-01" not in {f.rule_id for f in result.findings}


def test_staff_02_does_not_apply_to_a_witness_who_is_not_a_survivor():
    assert_silent(io_adult(**NOT_SURVIVOR, **{"interview.interviewer": "GX-04"}), "STAFF-02")


def test_staff_02_in_mp_checks_every_survivor_witness():
    spec = mp(**{"witnesses[1].interviewer": "AL-02"})  # AL-02 holds SGBC_ADV: fine
    assert_silent(spec, "STAFF-02")
    spec = mp(**{"witnesses[1].interviewer": "GX-04"})
    assert_fires(spec, "STAFF-02", "blocking", "field:witnesses[1].interviewer")
    assert_silent(mp(**{"witnesses[2].interviewer": "GX-04"}), "STAFF-02")  # not a survivor


# ---------------------------------------------------------------- STAFF-03 (IO)
@pytest.mark.parametrize(
    "slot, person",
    [
        ("interpreter", "TBD"),
        ("interpreter", "GX-04"),
        ("intermediary", "pending"),
        ("note_taker", "AL-12"),
        ("note_taker", "AL-13"),
    ],
    ids=[
        "interpreter-placeholder",
        "interpreter-uncertified",
        "intermediary-placeholder",
        "note-taker-briefing-does-not-count",
        "note-taker-briefing-does-not-count-2",
    ],
)
def test_staff_03_fires_for_an_uncertified_support_slot_in_io(slot, person):
    spec = io_adult(**{f"interview.{slot}": person})
    assert_fires(spec, "STAFF-03", "major", f"field:interview.{slot}")


@pytest.mark.parametrize(
    "value",
    [
        "none",
        "None",
        "NIL",
        "null",
        "n/a",
        "NA",
        "-",
        "---",
        "not needed",
        "Not applicable",
        "not required",
        "",
        "   ",
        None,
        DROP,
        5,
    ],
)
def test_staff_03_treats_nobody_values_as_an_empty_slot(value):
    assert_silent(io_adult(**{"interview.interpreter": value, "interview.note_taker": value}), "STAFF-03")


@pytest.mark.parametrize("slot", ["interpreter", "intermediary"])
def test_staff_03_accepts_a_briefing_in_the_interpreter_and_intermediary_slots(slot):
    assert_silent(io_adult(**{f"interview.{slot}": "AL-13"}), "STAFF-03")
    assert_silent(io_child(**{f"interview.{slot}": "AL-13"}), "STAFF-03")


def test_staff_03_accepts_adv_for_basic():
    roster = roster_with(lambda d: (remove_records(d, "AL-11"), d["certifications"].append(cert("AL-11", "SGBC_ADV"))))
    assert_silent(io_adult(), "STAFF-03", roster=roster)


def test_staff_03_needs_both_areas_for_a_child_survivor():
    roster = roster_with(lambda d: remove_records(d, "AL-05", "CAC_BASIC"))
    assert_fires(io_child(), "STAFF-03", "major", "field:interview.note_taker", roster=roster)
    roster = roster_with(lambda d: remove_briefings(d, "AL-12", "SGBC"))
    assert_fires(io_child(), "STAFF-03", "major", "field:interview.interpreter", roster=roster)


def test_staff_03_needs_only_the_required_areas():
    # Adult survivor: SGBC only; child non-survivor: CAC only.
    roster = roster_with(lambda d: remove_records(d, "AL-11", "CAC_BASIC"))
    assert_silent(io_adult(), "STAFF-03", roster=roster)
    roster = roster_with(lambda d: remove_records(d, "AL-05", "SGBC_BASIC"))
    assert_silent(io_child(**NOT_SURVIVOR), "STAFF-03", roster=roster)
    assert_fires(io_child(), "STAFF-03", "major", "field:interview.note_taker", roster=roster)


def test_staff_03_briefing_must_be_valid_on_the_interview_date():
    def mutate(data):
        for b in data["briefings"]:
            if b["staff_id"] == "AL-12":
                b["expires"] = "2025-08-25"

    assert_fires(io_child(), "STAFF-03", "major", "field:interview.interpreter", roster=roster_with(mutate))


def test_staff_03_reports_slots_in_order():
    spec = io_adult(**{"interview.interpreter": "TBD", "interview.intermediary": "TBD", "interview.note_taker": "TBD"})
    assert_fires(spec, "STAFF-03", "major", "field:interview.interpreter")
    spec = io_adult(**{"interview.intermediary": "TBD", "interview.note_taker": "TBD"})
    assert_fires(spec, "STAFF-03", "major", "field:interview.intermediary")


def test_staff_03_does_not_apply_to_a_non_sensitive_interview():
    spec = io_adult(**NOT_SURVIVOR, **{"interview.interpreter": "TBD"})
    assert_silent(spec, "STAFF-03")


def test_staff_03_does_not_check_the_interviewer():
    assert_silent(io_adult(**{"interview.interviewer": "TBD"}), "STAFF-03")


# ---------------------------------------------------------------- STAFF-03 (MP)
@pytest.mark.parametrize(
    "member, index",
    [
        ({"staff": "GX-04", "role": "interpreter"}, 5),
        ({"staff": "TBD", "role": "note_taker"}, 5),
        ({"role": "intermediary"}, 5),
        ({"staff": "AL-12", "role": "note_taker"}, 5),
    ],
)
def test_staff_03_fires_for_an_uncertified_mission_support_member(member, index):
    spec = mp()
    spec.set("mission.team", spec.get("mission.team") + [member])
    assert_fires(spec, "STAFF-03", "major", f"field:mission.team[{index}]")


def test_staff_03_in_mp_counts_list_positions_including_ignored_entries():
    spec = mp()
    spec.set(
        "mission.team", ["GX-01 psychologist"] + spec.get("mission.team") + [{"staff": "TBD", "role": "interpreter"}]
    )
    assert_fires(spec, "STAFF-03", "major", "field:mission.team[6]")


def test_staff_03_in_mp_needs_validity_over_the_mission_interval():
    roster = replacing("AL-11", "SGBC_BASIC", cert("AL-11", "SGBC_BASIC", expires="2025-09-11"))
    assert_fires(mp(), "STAFF-03", "major", "field:mission.team[2]", roster=roster)


def test_staff_03_in_mp_needs_the_areas_of_any_planned_witness():
    adults = [{"code": "AL-S-1", "age": 30, "sgbc_survivor": True}]
    roster = roster_with(lambda d: remove_records(d, "AL-11", "CAC_BASIC"))
    assert_silent(mp(**{"witnesses": adults}), "STAFF-03", roster=roster)
    assert_fires(mp(), "STAFF-03", "major", "field:mission.team[2]", roster=roster)


def test_staff_03_in_mp_does_not_read_witness_interpreters_or_interviewers():
    spec = mp(**{"witnesses[0].interpreter": "TBD", "witnesses[0].interviewer": "AL-03"})
    assert_silent(spec, "STAFF-03")


def test_staff_03_in_mp_does_not_apply_without_sensitive_witnesses():
    spec = mp(**{"witnesses": [{"code": "AL-W-1", "age": 40, "sgbc_survivor": False}]})
    spec.set("mission.team", spec.get("mission.team") + [{"staff": "TBD", "role": "interpreter"}])
    assert_silent(spec, "STAFF-03")


# ---------------------------------------------------------------- STAFF-03 (IP, AP)
@pytest.mark.parametrize("factory", [ip, ap], ids=["IP", "AP"])
@pytest.mark.parametrize("staff_id, name", [("AL-01", "CAC_BASIC"), ("AL-01", "SGBC_BASIC"), ("AL-02", "CAC_BASIC")])
def test_staff_03_fires_when_leader_or_focal_point_lacks_basic(factory, staff_id, name):
    roster = roster_with(lambda d: remove_records(d, staff_id, name))
    assert_fires(factory(), "STAFF-03", "major", "field:product.team", roster=roster)


@pytest.mark.parametrize("factory", [ip, ap], ids=["IP", "AP"])
def test_staff_03_checks_validity_on_the_submission_date(factory):
    submitted = factory().get("product.submitted_on")
    roster = replacing(
        "AL-01",
        "CAC_BASIC",
        cert("AL-01", "CAC_BASIC", expires="2025-01-01"),
        cert("AL-01", "CAC_BASIC", issued=submitted),
    )
    assert_silent(factory(), "STAFF-03", roster=roster)
    roster = replacing("AL-01", "CAC_BASIC", cert("AL-01", "CAC_BASIC", expires="2025-03-02"))
    assert_fires(ip(), "STAFF-03", "major", "field:product.team", roster=roster)


@pytest.mark.parametrize("factory", [ip, ap], ids=["IP", "AP"])
def test_staff_03_fails_without_a_leader_or_a_roster_team(factory):
    roster = roster_with(lambda d: d["teams"][0].update(leader=None))
    assert_fires(factory(), "STAFF-03", "major", "field:product.team", roster=roster)
    assert_fires(factory(**{"product.team": "T-NOWHERE"}), "STAFF-03", "major", "field:product.team")


def test_staff_03_does_not_check_ordinary_members_in_ip():
    roster = roster_with(lambda d: remove_records(d, "AL-05"))
    assert_silent(ip(), "STAFF-03", roster=roster)


# ---------------------------------------------------------------- STAFF-04
@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: (
            remove_records(d, "AL-03", "SGBC_ADV"),
            d["certifications"].append(cert("AL-03", "SGBC_ADV", "2023-07-01", "2025-06-30")),
        ),
        lambda d: d["certifications"].append(
            cert("AL-05", "CAC_ADV", "2022-01-01", "2024-01-01")
        ),  # not required: still reported
        lambda d: d["certifications"].append(
            cert("AL-01", "SGBC_ADV", "2022-01-01", "2024-01-01")
        ),  # leader, ADV: not excluded
        lambda d: d["certifications"].append(
            cert("AL-12", "SGBC_BASIC", "2021-01-01", "2024-01-01")
        ),  # briefing is no cert
    ],
    ids=["member-lapsed-adv", "unrequired-cert", "leader-adv", "interpreter-basic"],
)
def test_staff_04_fires_on_a_lapsed_certificate_of_relevant_team_staff(mutate):
    assert_fires(ap(), "STAFF-04", "major", "field:product.team", roster=roster_with(mutate))


@pytest.mark.parametrize("expires", [DROP, None, "2027-02-30", Raw("2027-12-31 00:00:00"), "31/12/2027"])
def test_staff_04_fires_on_an_undated_certificate_of_relevant_team_staff(expires):
    def mutate(data):
        remove_records(data, "AL-04", "CAC_ADV")
        data["certifications"].append(cert("AL-04", "CAC_ADV", expires=expires))

    assert_fires(ap(), "STAFF-04", "major", "field:product.team", roster=roster_with(mutate))


@pytest.mark.parametrize(
    "mutate",
    [
        # renewed: a valid record of the same cert exists
        lambda d: d["certifications"].append(cert("AL-03", "SGBC_ADV", "2021-01-01", "2023-12-31")),
        # a valid ADV counts as holding the BASIC of its area
        lambda d: (
            remove_records(d, "AL-04", "SGBC_BASIC"),
            d["certifications"].append(cert("AL-04", "SGBC_BASIC", "2021-01-01", "2024-12-31")),
        ),
        # leader / focal point BASIC pairs belong to STAFF-03
        lambda d: (
            remove_records(d, "AL-01", "SGBC_BASIC"),
            d["certifications"].append(cert("AL-01", "SGBC_BASIC", "2021-01-01", "2024-01-01")),
        ),
        lambda d: d["certifications"].append(cert("AL-02", "CAC_BASIC", "2021-01-01", DROP)),
        # people outside the relevant team staff
        lambda d: d["certifications"].append(cert("GX-04", "SGBC_BASIC", "2021-01-01", "2024-01-01")),
        lambda d: (
            d["teams"][0]["members"].append("GX-01"),
            d["certifications"].append(cert("GX-01", "SGBC_BASIC", "2021-01-01", "2024-01-01")),
        ),
        # unknown certificate names are ignored everywhere
        lambda d: d["certifications"].append({"staff_id": "AL-03", "cert": "SGBC_EXPERT", "issued": "2021-01-01"}),
        # a certificate that expires on the submission date has not lapsed
        lambda d: (
            remove_records(d, "AL-03", "SGBC_ADV"),
            d["certifications"].append(cert("AL-03", "SGBC_ADV", "2023-11-21", "2025-11-20")),
        ),
    ],
    ids=[
        "renewed",
        "adv-covers-basic",
        "leader-basic-lapsed",
        "focal-basic-undated",
        "not-team-staff",
        "member-without-certifiable-role",
        "unknown-cert",
        "expires-on-submission-date",
    ],
)
def test_staff_04_is_silent_otherwise(mutate):
    assert_silent(ap(), "STAFF-04", roster=roster_with(mutate))


def test_staff_04_does_not_fire_when_the_team_is_not_in_the_roster():
    roster = roster_with(lambda d: d["certifications"].append(cert("AL-03", "SGBC_ADV", "2021-01-01", "2023-01-01")))
    assert_silent(ap(**{"product.team": "T-NOWHERE"}), "STAFF-04", roster=roster)


@pytest.mark.parametrize("factory", [ip, io_adult, io_child, mp], ids=["IP", "IO-adult", "IO-child", "MP"])
def test_staff_04_applies_to_annual_plans_only(factory):
    roster = roster_with(lambda d: d["certifications"].append(cert("AL-04", "SGBC_ADV", "2021-01-01")))
    assert_silent(factory(), "STAFF-04", roster=roster)
