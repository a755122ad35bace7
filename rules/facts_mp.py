"""Facts of mission plans (format §2.15): witnesses, mission team, schedule, venue."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rules.facts_io import referral_facts
from rules.text import as_bool, as_date, as_enum, as_int, as_map, is_non_empty, staff_id

if TYPE_CHECKING:
    from rules.facts import Inputs

SUPPORT_ROLES = ["interpreter", "intermediary", "note_taker"]


def defaults() -> dict[str, Any]:
    return {
        "mp.witnesses": [], "mp.any_child": False, "mp.any_sgbc": False, "mp.any_sensitive": False,
        "mission.venue.observable": None, "mission.venue.perpetrator_contact_risk": None,
        "mission.team": [], "mission.interviewer_genders": [], "mission.interpreter_genders": [],
        "mission.has_interpreters": False,
        "mission.alternatives.interviewer_gender_non_empty": False,
        "mission.alternatives.interpreter_gender_non_empty": False,
        "mission.schedule.count": 0, "mission.schedule.bad_entries": [], "mission.schedule.max_group_sum": 0,
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
    for i, w in enumerate(fm.get("witnesses") or []):
        age = as_int(w.get("age"))
        child, sgbc = age is not None and age < 18, w.get("sgbc_survivor") is True
        interviewer = staff_id(w.get("interviewer"))
        witnesses.append({
            "index": i, "label": f"witnesses[{i}]", "is_child": child, "is_sgbc": sgbc,
            "is_sensitive": child or sgbc, "interviewer_present": interviewer is not None,
            "interviewer_cac_adv": idx.holds(interviewer, "CAC_ADV", start, end),
            "interviewer_sgbc_adv": idx.holds(interviewer, "SGBC_ADV", start, end),
        })
    ctx["mp.witnesses"] = witnesses
    ctx["mp.any_child"] = any(w["is_child"] for w in witnesses)
    ctx["mp.any_sgbc"] = any(w["is_sgbc"] for w in witnesses)
    ctx["mp.any_sensitive"] = ctx["mp.any_child"] or ctx["mp.any_sgbc"]
    venue = as_map(mission.get("venue"))
    ctx["mission.venue.observable"] = as_bool(venue.get("observable"))
    ctx["mission.venue.perpetrator_contact_risk"] = as_enum(
        venue.get("perpetrator_contact_risk"), ["none", "low", "high", "unknown"])
    team = []
    genders: dict[str, set[str]] = {"interviewer": set(), "interpreter": set()}
    raw_team = mission.get("team")
    for i, member in enumerate(raw_team if isinstance(raw_team, list) else []):
        if not isinstance(member, dict):
            continue  # a non-mapping entry of mission.team is ignored (format §2)
        person = staff_id(member.get("staff"))
        role = member.get("role") if isinstance(member.get("role"), str) else None
        gender = idx.gender(person)
        if role in genders and gender:
            genders[role].add(gender)
        entry = {"index": i, "label": f"mission.team[{i}]", "staff_present": person is not None, "role": role}
        for area in ("SGBC", "CAC"):
            entry[f"{area.lower()}_basic"] = idx.holds(person, f"{area}_BASIC", start, end)
            entry[f"{area.lower()}_briefing"] = idx.briefed(person, area, start, end)
        team.append(entry)
    ctx["mission.team"] = team
    ctx["mission.interviewer_genders"] = sorted(genders["interviewer"])
    ctx["mission.interpreter_genders"] = sorted(genders["interpreter"])
    ctx["mission.has_interpreters"] = any(m["role"] == "interpreter" for m in team)
    alt = as_map(mission.get("alternatives"))
    ctx["mission.alternatives.interviewer_gender_non_empty"] = is_non_empty(alt.get("interviewer_gender"))
    ctx["mission.alternatives.interpreter_gender_non_empty"] = is_non_empty(alt.get("interpreter_gender"))
    _schedule(mission.get("schedule"), ctx)
    ctx["psychosocial_support.confirmed"] = as_bool(as_map(fm.get("psychosocial_support")).get("confirmed"))
    referral_facts(fm, ctx)
