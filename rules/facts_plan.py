"""Facts of investigation plans, annual plans and analysis reports, and of the submitting team."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from rules.certs import CERTS
from rules.prefilter import folded, may_match
from rules.product_types import ReviewUnit, codes_reviewed_by
from rules.text import as_date, enum_list, staff_id

if TYPE_CHECKING:
    from rules.facts import Inputs

CONSULTATION_POINTS = ["plan_approval", "before_first_mission", "before_awa_dcc", "other"]


def defaults() -> dict[str, Any]:
    return {
        "team.known": False,
        "team.leader": None,
        "team.focal_sgbc": None,
        "team.focal_cac": None,
        "team.leader_sgbc_basic": False,
        "team.leader_cac_basic": False,
        "team.focal_points": [],
        "team.relevant_staff": [],
        "team.staff_certs": [],
        "lines_of_inquiry": [],
        "gcu_consultation_points": [],
        "training.counting": 0,
        "training.counting_staff": [],
        "gcu_review.counting": 0,
        "ga.table_ok": False,
        "team.required_unmet": [],  # contract v2 STAFF-04(a)
    }


def _team(inp: Inputs, ctx: dict[str, Any]) -> None:
    idx, p = inp.roster, inp.product
    team_id = p.group("product").get("team")
    team = idx.teams.get(team_id) if isinstance(team_id, str) else None
    if team is None:
        return
    day = as_date(p.group("product").get("submitted_on"))
    ctx["team.known"] = True
    ctx["team.leader"] = team.leader
    ctx["team.focal_sgbc"] = team.focal_points.sgbc
    ctx["team.focal_cac"] = team.focal_points.cac
    ctx["team.leader_sgbc_basic"] = idx.holds(team.leader, "SGBC_BASIC", day)
    ctx["team.leader_cac_basic"] = idx.holds(team.leader, "CAC_BASIC", day)
    focal: list[dict[str, Any]] = []
    for fp in (team.focal_points.sgbc, team.focal_points.cac):
        if fp is not None and fp not in [f["id"] for f in focal]:
            focal.append(
                {
                    "id": fp,
                    "label": fp,
                    "sgbc_basic": idx.holds(fp, "SGBC_BASIC", day),
                    "cac_basic": idx.holds(fp, "CAC_BASIC", day),
                }
            )
    ctx["team.focal_points"] = focal
    relevant = idx.relevant_team_staff(team_id)
    ctx["team.relevant_staff"] = relevant
    owned = {team.leader, team.focal_points.sgbc, team.focal_points.cac}
    certs = []
    for person in relevant:
        for cert in CERTS:
            certs.append(
                {
                    "staff": person,
                    "cert": cert,
                    "label": f"{person} {cert}",
                    "lapsed": day is not None and idx.lapsed(person, cert, day),
                    "undated": idx.undated(person, cert),
                    "leader_or_focal_basic": person in owned and cert.endswith("_BASIC"),
                }
            )
    ctx["team.staff_certs"] = certs
    if inp.rx.v2:
        ctx["team.required_unmet"] = [
            {"staff": person, "cert": cert, "label": f"{person} {cert}"}
            for person in relevant
            for cert in idx.required_unmet(person, day)
            if not (person in owned and cert.endswith("_BASIC"))
        ]


def annual(inp: Inputs, ctx: dict[str, Any]) -> None:
    """AP: training targets and the GCU review schedule."""
    fm = inp.product.fm
    counting_staff = []
    targets = fm.get("training_targets")
    for entry in targets if isinstance(targets, list) else []:
        if isinstance(entry, dict) and staff_id(entry.get("staff")) and entry.get("cert") in CERTS:
            counting_staff.append(entry["staff"])
    ctx["training.counting"] = len(counting_staff)
    ctx["training.counting_staff"] = counting_staff
    schedule = fm.get("gcu_review_schedule")
    # The types the GCU reviews (format §2.16; v2 §1.1: an IR is reviewed by the SPU, not scheduled).
    schedulable = codes_reviewed_by(ReviewUnit.GCU)

    # v2 §1.11: `due` is a whole-value pattern (fullmatch: a trailing newline fails)
    due_ok = (lambda d: re.fullmatch(r"\d{4}-Q[1-4]", d)) if inp.rx.v2 else (lambda d: re.match(r"^\d{4}-Q[1-4]$", d))
    ctx["gcu_review.counting"] = sum(
        1
        for e in (schedule if isinstance(schedule, list) else [])
        if isinstance(e, dict)
        and e.get("product_type") in schedulable
        and isinstance(e.get("due"), str)
        and due_ok(e["due"])
    )


def factors(inp: Inputs, ctx: dict[str, Any]) -> None:
    """F_* regexes over the body blocks and over the whole scanned text (only those the pack reads)."""
    units = inp.units()
    body = [u for u in units if u.is_body]
    front = [u for u in units if not u.is_body]
    # Most factors are absent from most texts: rules.prefilter rules them out without the regex.
    body_folded = folded("\n".join(u.text for u in body))
    front_folded = folded("\n".join(u.text for u in front))
    for name, rx in inp.rx.named.items():
        if not name.startswith("F_"):
            continue
        body_key, scanned_key = f"factors.body.{name}", f"factors.scanned.{name}"
        if body_key not in inp.rx.used and scanned_key not in inp.rx.used:
            continue
        in_body = may_match(rx, body_folded) and any(rx.search(u.text) for u in body)
        ctx[body_key] = in_body
        ctx[scanned_key] = in_body or (may_match(rx, front_folded) and any(rx.search(u.text) for u in front))


def build(inp: Inputs, ctx: dict[str, Any]) -> None:
    """The facts of the submitting team, read for every type; the type's own facts are the builders
    its registry entry lists (rules/product_types/)."""
    _team(inp, ctx)


def inquiry(inp: Inputs, ctx: dict[str, Any]) -> None:
    """IP: lines of inquiry and GCU consultation points."""
    p = inp.product
    ctx["lines_of_inquiry"] = enum_list(p.fm.get("lines_of_inquiry"), _crime_tags())
    ctx["gcu_consultation_points"] = enum_list(p.fm.get("gcu_consultation_points"), CONSULTATION_POINTS)


def analysis_table(inp: Inputs, ctx: dict[str, Any]) -> None:
    """GA: a disaggregated-data table with sex and age-band columns."""
    sex, band = inp.rx.named["F_SEX"], inp.rx.named["F_AGE_BAND"]
    ctx["ga.table_ok"] = any(sex.search(t) and band.search(t) for t in inp.product.body.tables("disaggregated_data"))


def _crime_tags() -> list[str]:
    from rules.facts import CRIME_TAGS

    return CRIME_TAGS
