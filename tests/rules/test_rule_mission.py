"""Mission plans (requirements.md §5.5): GEN-MP-01 ... GEN-MP-05."""

import pytest

from tests.rules.factories import (
    DROP,
    Raw,
    assert_fires,
    assert_silent,
    missing_heading,
    mp,
    rename_section,
    section,
    without_section,
)

ADULT_WITNESS = {"code": "AL-W-300", "age": 40, "gender": "male", "sgbc_survivor": False}
ADULT_SURVIVOR = {"code": "AL-S-301", "age": 30, "gender": "female", "sgbc_survivor": True}
CHILD = {"code": "AL-C-302", "age": 10, "gender": "male", "sgbc_survivor": False, "interviewer": "AL-03"}


def words(n, word="plan"):
    return " ".join([word] * n)


def sched(*entries):
    return [{"date": d, "interviewer": i, "sensitive_interviews": n} for d, i, n in entries]


# ---------------------------------------------------------------- GEN-MP-01
@pytest.mark.parametrize("confirmed", [False, DROP, Raw("yes"), "true"])
def test_gen_mp_01_is_blocking_when_support_is_not_confirmed_for_sensitive_witnesses(confirmed):
    spec = mp(**{"psychosocial_support.confirmed": confirmed})
    assert_fires(spec, "GEN-MP-01", "blocking", "field:psychosocial_support.confirmed")


@pytest.mark.parametrize("pathway", [DROP, {}, {"medical": {"provider": "TBD"}}, {"legal": {"unavailable": True}}])
def test_gen_mp_01_fires_when_no_referral_category_is_covered(pathway):
    spec = mp(**{"referral_pathway": pathway})
    assert_fires(spec, "GEN-MP-01", "blocking", "field:referral_pathway")


def test_gen_mp_01_is_satisfied_by_any_one_covered_category():
    # requirements.md §9 item 3: a deliberate limitation of v1.
    spec = mp(**{"referral_pathway": {"legal": {"provider": "Legal-aid clinic"}}})
    assert_silent(spec, "GEN-MP-01")


def test_gen_mp_01_is_major_when_no_planned_witness_is_sensitive():
    spec = mp(**{"witnesses": [ADULT_WITNESS], "psychosocial_support.confirmed": False})
    assert_fires(spec, "GEN-MP-01", "major", "field:psychosocial_support.confirmed")


def test_gen_mp_01_reports_confirmation_first():
    spec = mp(**{"psychosocial_support": DROP, "referral_pathway": DROP})
    assert_fires(spec, "GEN-MP-01", "blocking", "field:psychosocial_support.confirmed")


def test_gen_mp_01_does_not_apply_without_planned_witnesses():
    assert_silent(mp(**{"witnesses": [], "psychosocial_support": DROP, "referral_pathway": DROP}), "GEN-MP-01")


# ---------------------------------------------------------------- GEN-MP-02
def test_gen_mp_02_fires_when_witness_safety_plan_is_missing():
    assert_fires(mp(without_section("Witness safety plan")), "GEN-MP-02", "blocking", missing_heading("witness_safety"))


def test_gen_mp_02_fires_when_witness_safety_plan_is_short():
    assert_fires(mp(section("Witness safety plan", words(39))), "GEN-MP-02", "blocking", "section:witness_safety")


def test_gen_mp_02_a_staff_security_plan_does_not_replace_it():
    spec = mp(without_section("Witness safety plan"))
    spec.replace_section("Staff security", words(80, "security"))
    assert_fires(spec, "GEN-MP-02", "blocking")


@pytest.mark.parametrize("heading", ["Witness-centred safety plan", "Witness security plan"])
def test_gen_mp_02_accepts_synonyms(heading):
    assert_silent(mp(rename_section("Witness safety plan", heading)), "GEN-MP-02")


@pytest.mark.parametrize(
    "changes",
    [
        {"mission.venue.observable": True},
        {"mission.venue.observable": DROP},
        {"mission.venue.perpetrator_contact_risk": "low"},
        {"mission.venue.perpetrator_contact_risk": "unknown"},
        {"mission.venue.perpetrator_contact_risk": DROP},
        {"mission.venue": DROP},
    ],
)
def test_gen_mp_02_fires_when_the_venue_is_observable_or_risky(changes):
    assert_fires(mp(**changes), "GEN-MP-02", "blocking", "field:mission.venue")


def test_gen_mp_02_does_not_check_venue_privacy():
    # requirements.md §9 item 3.
    assert_silent(mp(**{"mission.venue.private": False}), "GEN-MP-02")


def test_gen_mp_02_reports_the_section_first():
    spec = mp(section("Witness safety plan", words(10)), **{"mission.venue.observable": True})
    assert_fires(spec, "GEN-MP-02", "blocking", "section:witness_safety")


def test_gen_mp_02_is_blocking_even_for_non_sensitive_witnesses():
    assert_fires(mp(**{"witnesses": [ADULT_WITNESS], "mission.venue.observable": True}), "GEN-MP-02", "blocking")


def test_gen_mp_02_does_not_apply_without_planned_witnesses():
    assert_silent(mp(without_section("Witness safety plan"), **{"witnesses": []}), "GEN-MP-02")


# ---------------------------------------------------------------- GEN-MP-03
def _team(*members):
    return [{"staff": s, "role": r} for s, r in members]


@pytest.mark.parametrize(
    "interviewers",
    [
        [("AL-03", "interviewer")],
        [("AL-03", "interviewer"), ("AL-02", "interviewer")],  # both female
        [("AL-03", "interviewer"), ("TBD", "interviewer")],  # unknown person has no gender
        [("AL-03", "interviewer"), ("AL-04", "other")],  # AL-04 not an interviewer here
        [],
    ],
)
def test_gen_mp_03_fires_when_interviewers_have_fewer_than_two_genders(interviewers):
    team = _team(*interviewers, ("AL-11", "interpreter"), ("AL-12", "interpreter"))
    assert_fires(mp(**{"mission.team": team}), "GEN-MP-03", "major", "field:mission.team")


def test_gen_mp_03_counts_non_binary_as_a_distinct_gender():
    team = _team(("AL-03", "interviewer"), ("GX-04", "interviewer"), ("AL-11", "interpreter"), ("AL-12", "interpreter"))
    assert_silent(mp(**{"mission.team": team}), "GEN-MP-03")


def test_gen_mp_03_accepts_a_documented_interviewer_alternative():
    team = _team(("AL-03", "interviewer"), ("AL-11", "interpreter"), ("AL-12", "interpreter"))
    spec = mp(
        **{
            "mission.team": team,
            "mission.alternatives.interviewer_gender": "A male interviewer of Team Beta is on call by video for any survivor who asks.",
        }
    )
    assert_silent(spec, "GEN-MP-03")
    spec = mp(**{"mission.team": team, "mission.alternatives.interviewer_gender": "TBD"})
    assert_fires(spec, "GEN-MP-03", "major", "field:mission.team")


def test_gen_mp_03_fires_when_interpreters_have_one_gender():
    team = _team(
        ("AL-03", "interviewer"), ("AL-04", "interviewer"), ("AL-11", "interpreter"), ("AL-13", "interpreter")
    )  # both female
    assert_fires(mp(**{"mission.team": team}), "GEN-MP-03", "major", "field:mission.team")
    spec = mp(
        **{
            "mission.team": team,
            "mission.alternatives.interpreter_gender": "An on-call remote male interpreter is booked for the whole mission.",
        }
    )
    assert_silent(spec, "GEN-MP-03")


def test_gen_mp_03_needs_no_interpreter_genders_without_interpreters():
    team = _team(("AL-03", "interviewer"), ("AL-04", "interviewer"))
    assert_silent(mp(**{"mission.team": team}), "GEN-MP-03")


def test_gen_mp_03_reads_only_the_mission_team_not_witness_assignments():
    spec = mp(**{"witnesses[1].interviewer": "AL-03", "witnesses[1].interpreter": "AL-11"})
    assert_silent(spec, "GEN-MP-03")


def test_gen_mp_03_does_not_apply_without_an_sgbc_survivor():
    team = _team(("AL-03", "interviewer"), ("AL-11", "interpreter"))
    spec = mp(
        **{
            "witnesses": [CHILD, ADULT_WITNESS],
            "mission.team": team,
            "mission.schedule": sched(("2025-09-09", "AL-03", 1)),
        }
    )
    assert_silent(spec, "GEN-MP-03")


def test_gen_mp_03_applies_with_one_adult_survivor():
    team = _team(("AL-03", "interviewer"), ("AL-11", "interpreter"))
    spec = mp(**{"witnesses": [ADULT_SURVIVOR], "mission.team": team})
    assert_fires(spec, "GEN-MP-03", "major", "field:mission.team")


# ---------------------------------------------------------------- GEN-MP-04
def test_gen_mp_04_fires_when_data_handling_plan_is_missing():
    assert_fires(mp(without_section("Data handling plan")), "GEN-MP-04", "major", "product")


def test_gen_mp_04_fires_when_data_handling_plan_is_short():
    assert_fires(mp(section("Data handling plan", words(39))), "GEN-MP-04", "major", "section:data_handling")


@pytest.mark.parametrize("heading", ["Data handling", "Information handling plan"])
def test_gen_mp_04_accepts_synonyms(heading):
    assert_silent(mp(rename_section("Data handling plan", heading)), "GEN-MP-04")


def test_gen_mp_04_applies_to_a_mission_without_witnesses():
    assert_fires(mp(without_section("Data handling plan"), **{"witnesses": []}), "GEN-MP-04", "major", "product")


# ---------------------------------------------------------------- GEN-MP-05
@pytest.mark.parametrize(
    "schedule",
    [
        sched(("2025-09-09", "AL-03", 3)),
        sched(("2025-09-09", "AL-03", 2), ("2025-09-09", "AL-03", 1)),  # same pair adds up
        sched(("2025-09-09", "AL-03", 1), ("2025-09-10", "AL-04", 1), ("2025-09-09", "AL-03", 2)),
        [{"interviewer": "AL-03", "sensitive_interviews": 3}],  # no date: own group
        [{"date": "2025-09-09", "sensitive_interviews": 3}],  # no interviewer
        [{"date": "2025-09-09", "interviewer": "AL-03", "sensitive_interviews": "1"}],
        [{"date": "2025-09-09", "interviewer": "AL-03", "sensitive_interviews": -1}],
        [{"date": "2025-09-09", "interviewer": "AL-03", "sensitive_interviews": True}],
        [{"date": "2025-09-09", "interviewer": "AL-03"}],
        ["AL-03 on 9 September: one interview"],
        [],
        DROP,
    ],
    ids=[
        "3-in-one-entry",
        "2+1",
        "2+1-interleaved",
        "no-date-3",
        "no-interviewer-3",
        "string-count",
        "negative",
        "boolean",
        "missing-count",
        "non-mapping",
        "empty",
        "absent",
    ],
)
def test_gen_mp_05_is_minor_when_pacing_fails(schedule):
    assert_fires(mp(**{"mission.schedule": schedule}), "GEN-MP-05", "minor", "field:mission.schedule")


@pytest.mark.parametrize(
    "schedule",
    [
        sched(("2025-09-09", "AL-03", 2)),
        sched(("2025-09-09", "AL-03", 2), ("2025-09-10", "AL-03", 2), ("2025-09-09", "AL-04", 2)),
        [{"interviewer": "AL-03", "sensitive_interviews": 2}, {"interviewer": "AL-03", "sensitive_interviews": 2}],
        sched(("2025-09-09", "AL-03", 0)),
    ],
    ids=["2", "different-days-and-people", "undated-entries-are-separate-groups", "zero"],
)
def test_gen_mp_05_is_silent_when_every_pair_is_at_most_two(schedule):
    assert_silent(mp(**{"mission.schedule": schedule}), "GEN-MP-05")


def test_gen_mp_05_groups_by_date_value_whether_quoted_or_not():
    schedule = [
        {"date": Raw('"2025-09-09"'), "interviewer": "AL-03", "sensitive_interviews": 2},
        {"date": "2025-09-09", "interviewer": "AL-03", "sensitive_interviews": 1},
    ]
    assert_fires(mp(**{"mission.schedule": schedule}), "GEN-MP-05", "minor", "field:mission.schedule")


def test_gen_mp_05_is_advisory_when_only_staff_welfare_is_missing():
    assert_fires(mp(without_section("Staff welfare")), "GEN-MP-05", "advisory", missing_heading("staff_welfare"))
    assert mp(without_section("Staff welfare")).check().verdict == "clean"


def test_gen_mp_05_is_advisory_when_staff_welfare_is_short():
    assert_fires(mp(section("Staff welfare", words(39))), "GEN-MP-05", "advisory", "section:staff_welfare")


def test_gen_mp_05_accepts_the_welfare_synonym():
    assert_silent(mp(rename_section("Staff welfare", "Staff welfare and debriefing")), "GEN-MP-05")


def test_gen_mp_05_is_minor_at_the_schedule_when_both_fail():
    spec = mp(without_section("Staff welfare"), **{"mission.schedule": sched(("2025-09-09", "AL-03", 5))})
    assert_fires(spec, "GEN-MP-05", "minor", "field:mission.schedule")


def test_gen_mp_05_does_not_apply_without_sensitive_witnesses():
    spec = mp(without_section("Staff welfare"), **{"witnesses": [ADULT_WITNESS], "mission.schedule": DROP})
    assert_silent(spec, "GEN-MP-05")
