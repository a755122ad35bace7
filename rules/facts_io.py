"""Facts of interview outlines (format §2.2-§2.11) and of the people in their slots."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from rules.text import as_bool, as_date, as_enum, as_int, as_map, enum_list, staff_id
from rules.witness import need_entries, profile

if TYPE_CHECKING:
    from rules.facts import Inputs

CODE = re.compile(r"^[A-Z0-9]+(-[A-Z0-9]+)+$")
FORBIDDEN_KEYS = ["name", "full_name", "real_name", "alias"]
CONSENT_ELEMENTS = ["purpose", "use", "disclosure", "access", "risks", "right_to_stop"]
REFERRAL_CATEGORIES = ["medical", "psychosocial", "legal", "shelter_livelihood", "child_protection"]
SLOTS = ["interviewer", "interpreter", "intermediary", "note_taker"]
NOT_A_STRING = "<not a string>"


def defaults() -> dict[str, Any]:
    d: dict[str, Any] = {
        "witness.age": None,
        "witness.is_child": False,
        "witness.is_sgbc": False,
        "witness.is_sensitive": False,
        "witness.caafag": False,
        "witness.disability": False,
        "witness.code": None,
        "witness.code_ok": False,
        "witness.forbidden_keys": [],
        "interview.date": None,
        "interview.first_contact": None,
        "interview.sequence": 1,
        "interview.planned_block_minutes": None,
        "interview.block_cap": 60,
        "interview.breaks_planned": None,
        "interview.phases": [],
        "interview.detail_limited_to": [],
        "interview.communication_aids_non_empty": False,
        "interview.location.private": None,
        "interview.location.observable": None,
        "interview.location.perpetrator_contact_risk": None,
        "reinterview.necessity_valid": False,
        "reinterview.approver_qualified": False,
        "reinterview.approved_on": None,
        "consent.child": None,
        "consent.guardian": None,
        "consent.alternative_valid": False,
        "consent.elements": [],
        "psa.date": None,
        "psa.outcome": None,
        "psa.assessor_psychologist": False,
        "psa.assessor_external_non_empty": False,
        "psychosocial_support.during": None,
        "psychosocial_support.confirmed": None,
        "support_person.offered": None,
        "support_person.child_wishes_non_empty": False,
        "support_person.accepted": None,
        "support_person.conflict_check": None,
        "referral.any": False,
        "gender_choice.offered": None,
        "gender_choice.interviewer": None,
        "gender_choice.interpreter": None,
        "interpreter_vetting.briefed_sgbc": None,
        "interpreter_vetting.confidentiality_signed": None,
        "interpreter_vetting.community_conflict": None,
        "interpreter_vetting.survivor_waiver": None,
        "risk_assessment.completed_on": None,
        "risk_assessment.mitigations_non_empty": False,
        "child_approach.stop": False,
        # contract v2 (§1.3, §1.4, §4): derived terms, new fields and the facts of changed rules
        "witness.is_vulnerable": False,
        "witness.needs_comm": False,
        "witness.needs_access": False,
        "witness.is_lgbtqi": False,
        "witness.code_wellformed": False,
        "witness.identifying_key": None,
        "witness.needs_asked_on": None,
        "witness.needs_without_accommodation": [],
        "interview.location.accessible": None,
        "sogi.recording_agreed": None,
        "sogi.access_restricted": None,
        "sogi.risks_assessed": None,
        "sogi.hostile_context": None,
        "reinterview.approver_independent_ok": False,
        "reinterview.approver_not_involved": True,
        "psa.assessor_spu": False,
        "psa.max_block_minutes": None,
        "slot.group": "interview",
    }
    for cat in REFERRAL_CATEGORIES:
        d[f"referral.{cat}"] = False
    for slot in SLOTS:
        d.update({f"slot.{slot}.present": False, f"slot.{slot}.gender": None})
        for cert in ("sgbc_basic", "cac_basic", "sgbc_adv", "cac_adv", "sgbc_briefing", "cac_briefing"):
            d[f"slot.{slot}.{cert}"] = False
    return d


def iso(value: Any) -> str | None:
    day = as_date(value)
    return day.isoformat() if day else None


def covered(entry: Any, non_empty: Any) -> bool:
    """format §2.9: a non-empty provider, or unavailable: true with a non-empty mitigation."""
    entry = as_map(entry)
    return non_empty(entry.get("provider")) or (entry.get("unavailable") is True and non_empty(entry.get("mitigation")))


def referral_facts(inp: Inputs, ctx: dict[str, Any]) -> None:
    pathway = as_map(inp.product.fm.get("referral_pathway"))
    for cat in REFERRAL_CATEGORIES:
        ctx[f"referral.{cat}"] = covered(pathway.get(cat), inp.rx.non_empty)
    ctx["referral.any"] = any(ctx[f"referral.{cat}"] for cat in REFERRAL_CATEGORIES)


def _witness(inp: Inputs, ctx: dict[str, Any]) -> None:
    w = as_map((inp.product.fm.get("witnesses") or [{}])[0])
    age = as_int(w.get("age"))
    ctx["witness.age"] = age
    ctx["witness.is_child"] = age is not None and age < 18
    ctx["witness.is_sgbc"] = w.get("sgbc_survivor") is True
    ctx["witness.is_sensitive"] = ctx["witness.is_child"] or ctx["witness.is_sgbc"]
    ctx["witness.caafag"] = w.get("caafag") is True
    ctx["witness.disability"] = w.get("disability") is True
    code = w.get("code")
    ctx["witness.code"] = code if isinstance(code, str) else None
    ctx["witness.code_ok"] = isinstance(code, str) and bool(CODE.match(code))
    ctx["witness.forbidden_keys"] = [k for k in FORBIDDEN_KEYS if w.get(k) is not None]
    if inp.rx.v2:
        witness_v2(inp, w, ctx)


def witness_v2(inp: Inputs, w: dict[Any, Any], ctx: dict[str, Any]) -> None:
    """The v2 terms of the one witness of an IO or IR (v2 §1.3)."""
    terms = profile(w)
    ctx["witness.is_vulnerable"] = terms["is_vulnerable"]
    ctx["witness.needs_comm"] = terms["needs_comm"]
    ctx["witness.needs_access"] = terms["needs_access"]
    ctx["witness.is_lgbtqi"] = terms["is_lgbtqi"]
    ctx["witness.code_wellformed"] = terms["code_ok"]
    ctx["witness.identifying_key"] = terms["identifying_key"]
    ctx["witness.needs_asked_on"] = iso(terms["needs_asked_on"])
    ctx["witness.needs_without_accommodation"] = [
        {"index": i, "label": f"stated_needs[{i}]"}
        for i, e in need_entries(w)
        if not inp.rx.non_empty(e.get("accommodation"))
    ]


def slot_facts(inp: Inputs, group: dict[Any, Any], day: Any, ctx: dict[str, Any]) -> None:
    """Who is in the interviewer, interpreter, intermediary and note-taker slots, and what they hold on `day`."""
    idx = inp.roster
    for slot in SLOTS:
        person = staff_id(group.get(slot))
        ctx[f"slot.{slot}.present"] = person is not None
        ctx[f"slot.{slot}.gender"] = idx.gender(person)
        for area in ("SGBC", "CAC"):
            a = area.lower()
            ctx[f"slot.{slot}.{a}_basic"] = idx.holds(person, f"{area}_BASIC", day)
            ctx[f"slot.{slot}.{a}_adv"] = idx.holds(person, f"{area}_ADV", day)
            ctx[f"slot.{slot}.{a}_briefing"] = idx.briefed(person, area, day)


def assessment_facts(inp: Inputs, ctx: dict[str, Any]) -> None:
    """psychosocial_assessment (format §2.6; v2: of any vulnerable witness, also in IR)."""
    idx = inp.roster
    psa = as_map(inp.product.fm.get("psychosocial_assessment"))
    ctx["psa.date"] = iso(psa.get("date"))
    ctx["psa.outcome"] = as_enum(
        psa.get("outcome"), ["proceed", "proceed_with_conditions", "postpone", "do_not_proceed"]
    )
    assessor = staff_id(psa.get("assessor"))
    ctx["psa.assessor_psychologist"] = idx.has_role(assessor, {"psychologist"})
    ctx["psa.assessor_spu"] = idx.has_role(assessor, {"spu_officer"})
    ctx["psa.assessor_external_non_empty"] = inp.rx.non_empty(psa.get("assessor_external"))
    ctx["psa.max_block_minutes"] = as_int(psa.get("max_block_minutes"))


def _interview(inp: Inputs, ctx: dict[str, Any]) -> None:
    fm, idx = inp.product.fm, inp.roster
    iv = as_map(fm.get("interview"))
    day = as_date(iv.get("date"))
    ctx["interview.date"] = iso(iv.get("date"))
    ctx["interview.first_contact"] = iso(iv.get("first_contact_on")) or ctx["interview.date"]
    seq = as_int(iv.get("sequence"))
    ctx["interview.sequence"] = seq if seq is not None and seq >= 1 else 1
    ctx["interview.planned_block_minutes"] = as_int(iv.get("planned_block_minutes"))
    age = ctx["witness.age"]
    cap = 40 if age is not None and age < 12 else 60
    max_block = as_int(as_map(fm.get("psychosocial_assessment")).get("max_block_minutes"))
    ctx["interview.block_cap"] = min(cap, max_block) if max_block is not None else cap
    ctx["interview.breaks_planned"] = as_bool(iv.get("breaks_planned"))
    phases = iv.get("phases")
    ctx["interview.phases"] = (
        [v if isinstance(v, str) else NOT_A_STRING for v in phases] if isinstance(phases, list) else []
    )
    from rules.facts import CRIME_TAGS

    ctx["interview.detail_limited_to"] = enum_list(iv.get("detail_limited_to"), CRIME_TAGS)
    ctx["interview.communication_aids_non_empty"] = inp.rx.non_empty(iv.get("communication_aids"))
    loc = as_map(iv.get("location"))
    ctx["interview.location.private"] = as_bool(loc.get("private"))
    ctx["interview.location.observable"] = as_bool(loc.get("observable"))
    ctx["interview.location.perpetrator_contact_risk"] = as_enum(
        loc.get("perpetrator_contact_risk"), ["none", "low", "high", "unknown"]
    )
    ctx["interview.location.accessible"] = as_bool(loc.get("accessible"))
    slot_facts(inp, iv, day, ctx)
    re_iv = as_map(fm.get("reinterview"))
    ctx["reinterview.necessity_valid"] = inp.rx.valid_reason(re_iv.get("necessity"))
    ctx["reinterview.approver_qualified"] = idx.has_role(
        staff_id(re_iv.get("approved_by")), {"focal_point", "gcu_reviewer", "gcu_head"}
    )
    ctx["reinterview.approved_on"] = iso(re_iv.get("approved_on"))
    if inp.rx.v2:  # CAC-INT-06(b2)(b3): an approver independent of the interview
        approver = staff_id(re_iv.get("approved_by"))
        team_id = inp.product.group("product").get("team")
        team = idx.teams.get(team_id) if isinstance(team_id, str) else None
        focal = {team.focal_points.sgbc, team.focal_points.cac} - {None} if team else set()
        ctx["reinterview.approver_independent_ok"] = (
            approver is not None
            and idx.person(approver) is not None
            and (idx.has_role(approver, {"gcu_reviewer", "gcu_head"}) or approver in focal)
        )
        interviewer = staff_id(iv.get("interviewer"))
        author = inp.product.group("product").get("author")
        ctx["reinterview.approver_not_involved"] = approver is None or (approver != interviewer and approver != author)


def build(inp: Inputs, ctx: dict[str, Any]) -> None:
    fm = inp.product.fm
    _witness(inp, ctx)
    _interview(inp, ctx)
    consent = as_map(fm.get("consent"))
    ctx["consent.child"] = as_bool(consent.get("child"))
    ctx["consent.guardian"] = as_bool(consent.get("guardian"))
    ctx["consent.alternative_valid"] = inp.rx.valid_reason(consent.get("alternative_guardian_rationale"))
    ctx["consent.elements"] = enum_list(consent.get("elements"), CONSENT_ELEMENTS)
    assessment_facts(inp, ctx)
    support = as_map(fm.get("psychosocial_support"))
    ctx["psychosocial_support.during"] = as_enum(support.get("during"), ["present", "on_call", "none"])
    sp = as_map(fm.get("support_person"))
    ctx["support_person.offered"] = as_bool(sp.get("offered"))
    ctx["support_person.child_wishes_non_empty"] = inp.rx.non_empty(sp.get("child_wishes"))
    ctx["support_person.accepted"] = as_bool(sp.get("accepted"))
    ctx["support_person.conflict_check"] = as_enum(
        sp.get("conflict_check"), ["passed", "failed", "pending", "not_done"]
    )
    referral_facts(inp, ctx)
    gc = as_map(fm.get("gender_choice"))
    choices = ["female", "male", "no_preference"] + (["non_binary"] if inp.rx.v2 else [])
    ctx["gender_choice.offered"] = as_bool(gc.get("offered"))
    ctx["gender_choice.interviewer"] = as_enum(gc.get("interviewer"), choices)
    ctx["gender_choice.interpreter"] = as_enum(gc.get("interpreter"), choices)
    vet = as_map(fm.get("interpreter_vetting"))
    for key in ("briefed_sgbc", "confidentiality_signed", "community_conflict", "survivor_waiver"):
        ctx[f"interpreter_vetting.{key}"] = as_bool(vet.get(key))
    risk = as_map(fm.get("risk_assessment"))
    ctx["risk_assessment.completed_on"] = iso(risk.get("completed_on"))
    ctx["risk_assessment.mitigations_non_empty"] = inp.rx.non_empty(risk.get("mitigations"))
    sogi = as_map(fm.get("sogi_safeguards"))
    for key in ("recording_agreed", "access_restricted", "risks_assessed"):
        ctx[f"sogi.{key}"] = as_bool(sogi.get(key))
    ctx["sogi.hostile_context"] = as_enum(sogi.get("hostile_context"), ["yes", "no", "unknown"])
    from rules.scan import body_units

    stop = inp.rx.named["F_STOP"]
    ctx["child_approach.stop"] = any(stop.search(u.text) for u in body_units(inp.product, "child_approach"))
