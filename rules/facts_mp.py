"""Facts of mission plans (format §2.15): witnesses, mission team, schedule, venue."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rules.facts_io import referral_facts
from rules.text import as_bool, as_date, as_enum, as_int, as_map, staff_id
from rules.witness import profile

if TYPE_CHECKING:
    from rules.facts import Inputs

SUPPORT_ROLES = ["interpreter", "intermediary", "note_taker"]


def defaults() -> dict[str, Any]:
    return {
        "mp.witnesses": [],
        "mp.any_child": False,
        "mp.any_sgbc": False,
        "mp.any_sensitive": False,
        "mission.venue.observable": None,
        "mission.venue.perpetrator_contact_risk": None,
        "mission.team": [],
        "mission.interviewer_genders": [],
        "mission.interpreter_genders": [],
        "mission.has_interpreters": False,
        "mission.alternatives.interviewer_gender_non_empty": False,
        "mission.alternatives.interpreter_gender_non_empty": False,
        "mission.schedule.count": 0,
        "mission.schedule.bad_entries": [],
        "mission.schedule.max_group_sum": 0,
        # contract v2 (§4.1 GEN-MP-01/02/03, STAFF-03; §4.2 GEN-MP-06)
        "mp.any_vulnerable": False,
        "mission.venue.private": None,
        "mp.witness_id_defects": [],
        "mission.all_interviewer_genders": [],
        "mission.all_interpreter_genders": [],
        "mission.any_interpreter": False,
    }


def _schedule(schedule: Any, ctx: dict[str, Any]) -> None:
    entries = schedule if isinstance(schedule, list) else []
    groups: dict[Any, int] = {}
    bad = []
    for i, entry in enumerate(entries):
        value = as_int(entry.get("sensitive_interviews")) if isinstance(entry, dict) else None
        if value is None or value < 0:
            bad.append(i)
            continue
        day, who = as_date(entry.get("date")), staff_id(entry.get("interviewer"))
        key = (day, who) if day is not None and who is not None else ("own", i)
        groups[key] = groups.get(key, 0) + value
    ctx["mission.schedule.count"] = len(entries)
    ctx["mission.schedule.bad_entries"] = bad
    ctx["mission.schedule.max_group_sum"] = max(groups.values(), default=0)


def build(inp: Inputs, ctx: dict[str, Any]) -> None:
    fm, idx = inp.product.fm, inp.roster
    mission = as_map(fm.get("mission"))
    start, end = as_date(mission.get("start")), as_date(mission.get("end"))
    witnesses = []
    defects = []
    witness_genders: dict[str, set[str]] = {"interviewer": set(), "interpreter": set()}
    for i, w in enumerate(fm.get("witnesses") or []):
        age = as_int(w.get("age"))
        child, sgbc = age is not None and age < 18, w.get("sgbc_survivor") is True
        interviewer = staff_id(w.get("interviewer"))
        entry = {
            "index": i,
            "label": f"witnesses[{i}]",
            "is_child": child,
            "is_sgbc": sgbc,
            "is_sensitive": child or sgbc,
            "interviewer_present": interviewer is not None,
            "interviewer_cac_adv": idx.holds(interviewer, "CAC_ADV", start, end),
            "interviewer_sgbc_adv": idx.holds(interviewer, "SGBC_ADV", start, end),
        }
        if inp.rx.v2:
            terms = profile(w)
            interpreter = staff_id(w.get("interpreter"))
            entry["is_vulnerable"] = terms["is_vulnerable"]
            entry["interpreter_present"] = interpreter is not None
            for area in ("SGBC", "CAC"):
                entry[f"interpreter_{area.lower()}_basic"] = idx.holds(interpreter, f"{area}_BASIC", start, end)
                entry[f"interpreter_{area.lower()}_briefing"] = idx.briefed(interpreter, area, start, end)
            for role, someone in (("interviewer", interviewer), ("interpreter", interpreter)):
                gender = idx.gender(someone)
                if gender:
                    witness_genders[role].add(gender)
            ctx["mission.any_interpreter"] = ctx["mission.any_interpreter"] or interpreter is not None
            if not terms["code_ok"] or terms["identifying_key"] is not None:
                where = "code" if not terms["code_ok"] else terms["identifying_key"]
                defects.append(
                    {
                        "index": i,
                        "label": f"witnesses[{i}]",
                        "location": f"witnesses[{i}].{where}",
                        "vulnerable": terms["is_vulnerable"],
                    }
                )
        witnesses.append(entry)
    ctx["mp.witness_id_defects"] = defects
    ctx["mp.any_vulnerable"] = any(w.get("is_vulnerable") for w in witnesses)
    ctx["mp.witnesses"] = witnesses
    ctx["mp.any_child"] = any(w["is_child"] for w in witnesses)
    ctx["mp.any_sgbc"] = any(w["is_sgbc"] for w in witnesses)
    ctx["mp.any_sensitive"] = ctx["mp.any_child"] or ctx["mp.any_sgbc"]
    venue = as_map(mission.get("venue"))
    ctx["mission.venue.observable"] = as_bool(venue.get("observable"))
    ctx["mission.venue.private"] = as_bool(venue.get("private"))
    ctx["mission.venue.perpetrator_contact_risk"] = as_enum(
        venue.get("perpetrator_contact_risk"), ["none", "low", "high", "unknown"]
    )
    team = []
    genders: dict[str, set[str]] = {"interviewer": set(), "interpreter": set()}
    raw_team = mission.get("team")
    for i, member in enumerate(raw_team if isinstance(raw_team, list) else []):
        if not isinstance(member, dict):
            continue  # a non-mapping entry of mission.team is ignored (format §2)
        person = staff_id(member.get("staff"))
        raw_role = member.get("role")
        member_role = raw_role if isinstance(raw_role, str) else None
        member_gender = idx.gender(person)
        if member_role in genders and member_gender:
            genders[member_role].add(member_gender)
        entry = {"index": i, "label": f"mission.team[{i}]", "staff_present": person is not None, "role": member_role}
        for area in ("SGBC", "CAC"):
            entry[f"{area.lower()}_basic"] = idx.holds(person, f"{area}_BASIC", start, end)
            entry[f"{area.lower()}_briefing"] = idx.briefed(person, area, start, end)
        team.append(entry)
    ctx["mission.team"] = team
    ctx["mission.interviewer_genders"] = sorted(genders["interviewer"])
    ctx["mission.interpreter_genders"] = sorted(genders["interpreter"])
    ctx["mission.has_interpreters"] = any(m["role"] == "interpreter" for m in team)
    ctx["mission.all_interviewer_genders"] = sorted(genders["interviewer"] | witness_genders["interviewer"])
    ctx["mission.all_interpreter_genders"] = sorted(genders["interpreter"] | witness_genders["interpreter"])
    ctx["mission.any_interpreter"] = ctx["mission.any_interpreter"] or ctx["mission.has_interpreters"]
    alt = as_map(mission.get("alternatives"))
    ctx["mission.alternatives.interviewer_gender_non_empty"] = inp.rx.non_empty(alt.get("interviewer_gender"))
    ctx["mission.alternatives.interpreter_gender_non_empty"] = inp.rx.non_empty(alt.get("interpreter_gender"))
    _schedule(mission.get("schedule"), ctx)
    ctx["psychosocial_support.confirmed"] = as_bool(as_map(fm.get("psychosocial_support")).get("confirmed"))
    referral_facts(inp, ctx)
