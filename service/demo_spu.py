"""The SPU's part of the demo (contract v2 §5, §6.1): an SPU officer account and interview records of
the demo teams over the last four quarters, so the SPU dashboard, the Deputy Prosecutor's dashboard
and the compliance summary show an SPU indicator with a trend.

Kept apart from service/demo.py so that any demo (the one `make run` loads, a longer history) can
call it: `seed_spu_accounts` and `seed_interview_records` are idempotent (an existing account or
product id is left as it is). The records vary the witness (child survivor, adult survivor, a deaf
adult, an adult with nothing recorded), the psychosocial support (present, on call, none) and the
filing delay (one record a quarter is filed late), all fictional.
"""

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session
from temporalio.client import Client

from service import reviews
from service.errors import ServiceError
from settings import Settings
from store.kpi.periods import containing, previous
from store.products import get_product

log = logging.getLogger("gcu_review.demo")

# (username, staff id, what the person does in the demo); SP-01 is in demo/roster.yaml.
SPU_ACCOUNTS: list[tuple[str, str, str]] = [
    ("spu.esquerra", "SP-01", "SPU officer (reviews interview records; SPU dashboard)"),
]


def seed_spu_accounts(*, db_engine: Engine) -> list[tuple[str, str, str]]:
    """The SPU officer's demo account (development only: the password is public)."""
    from models.tables import Staff
    from store.accounts import create_account, demo_password, get_account
    from store.credentials import verify_password

    seeded = []
    with Session(db_engine) as session:
        for username, staff_id, what in SPU_ACCOUNTS:
            password = demo_password(username)
            account = get_account(session=session, username=username)
            if account is None:
                if session.get(Staff, staff_id) is None:
                    continue  # the demo register is not imported
                create_account(session=session, username=username, password=password, staff_id=staff_id)
            elif not verify_password(account.password_hash, password):
                password = "(changed since seeding)"
            seeded.append((username, password, f"{what} [{staff_id}]"))
        session.commit()
    return seeded


@dataclass(frozen=True)
class DemoTeam:
    team: str
    name: str
    situation: str
    author: str  # interviewer and author of the record
    interpreter: str
    note_taker: str


TEAMS = (
    DemoTeam("T-HERON", "HERON", "Situation in Velmora", "HE-03", "HE-11", "HE-05"),
    DemoTeam("T-KESTREL", "KESTREL", "Situation in Velmora", "KE-03", "KE-12", "KE-07"),
    DemoTeam("T-OSPREY", "OSPREY", "Situation on the Osprey Coast", "OS-03", "OS-11", "OS-04"),
)

# (witness front matter, psychosocial support, needs) per kind of interview.
WITNESSES = (
    (
        "{code: W-C-1NN, age: 15, gender: female, sgbc_survivor: true, caafag: false, disability: false}",
        "{during: present, provider_role: psychologist, expert: GX-01}",
        '"yes"',
    ),
    (
        "{code: W-A-2NN, age: 29, gender: female, sgbc_survivor: true, caafag: false, disability: false}",
        "{during: on_call, provider_role: psychosocial_expert, expert: GX-01}",
        "partly",
    ),
    (
        (
            "{code: W-D-3NN, age: 45, gender: male, sgbc_survivor: false, caafag: false, disability: false, "
            "vulnerabilities: [sensory_disability]}"
        ),
        "{during: none}",
        '"no"',
    ),
    (
        "{code: W-X-4NN, age: 38, gender: male, sgbc_survivor: false, caafag: false, disability: false}",
        "{during: none}",
        '"yes"',
    ),
)

CONDUCT = (
    "After introductions the interviewer explained the ground rules and told the witness, in terms the "
    "witness understood, that they could pause, skip a question or stop at any time. The witness gave a free "
    "narrative first, in their own order; open questions followed, limited to the elements of the crimes "
    "under investigation. Breaks were taken when the witness asked, and the interview closed with a "
    "conversation about what happens next and who to call."
)


def interview_record(pid: str, t: DemoTeam, kind: int, serial: int, recorded: dt.date, submitted: dt.date) -> str:
    witness, support, met = (part.replace("NN", f"{serial:02d}") for part in WITNESSES[kind])
    unmet = met != '"yes"'
    need = (
        '{need: privacy, detail: "A quiet room", accommodation: "Room at the women\'s centre", met: '
        + met
        + (
            ', reason: "The room booked for the afternoon was taken; the session moved to the next morning."'
            if unmet
            else ""
        )
        + "}"
    )
    witness = (
        witness[:-1] + f", needs_asked_on: {(recorded - dt.timedelta(days=10)).isoformat()}, stated_needs: [{need}]}}"
    )
    return f"""---
product:
  id: {pid}
  type: IR
  title: "Interview record {serial:02d}, {t.name.title()} team"
  team: {t.team}
  situation: {t.situation}
  version: "1.0"
  author: {t.author}
  submitted_on: {submitted.isoformat()}
  audience: internal
witnesses:
  - {witness}
psychosocial_support: {support}
record:
  outline_id: IO-{t.name}-{recorded.year}-{serial:03d}
  date: {recorded.isoformat()}
  sequence: 1
  interviewer: {t.author}
  interpreter: {t.interpreter}
  note_taker: {t.note_taker}
  duration_minutes: 120
  longest_block_minutes: 45
  breaks_taken: 2
  phases: [introduction, rapport, ground_rules, free_narrative, open_questions, closure]
  detail_limited_to: [rape, sexual_slavery]
  right_to_stop_explained: true
  ended_by: completed
  deviations: []
psychosocial_assessment:
  date: {(recorded - dt.timedelta(days=7)).isoformat()}
  assessor: GX-01
  outcome: proceed
  max_block_minutes: 45
---

# Interview record {serial:02d}

## Summary
The witness was interviewed on {recorded.isoformat()} following the outline, with an interpreter and a note-taker.

## Conduct of the interview
{CONDUCT}

## Witness needs and support
The witness was asked what they needed before the interview; the need for a quiet room was met: {met.strip('"')}.

## Deviations from the outline
None.

## Follow-up and feedback plan
The team calls the witness within a week and tells them how their account will be used.
"""


RECORDS_PER_TEAM_AND_QUARTER = 2


def planned_records(
    today: dt.date, quarters: int = 4, id_suffix: str = ""
) -> list[tuple[str, DemoTeam, int, int, dt.date, dt.date]]:
    """(product id, team, kind, serial, record date, submitted on) over the last `quarters` quarters."""
    period = containing("quarter", today)
    periods: list[Any] = []
    for _ in range(quarters):
        periods.insert(0, period)
        period = previous(period, "quarter")
    plan = []
    for q, period in enumerate(periods):
        for ti, team in enumerate(TEAMS):
            for n in range(RECORDS_PER_TEAM_AND_QUARTER):
                kind = (q + ti + n) % len(WITNESSES)
                recorded = period.start + dt.timedelta(days=8 + 25 * n + ti)
                late = n == 1 and ti == q % len(TEAMS)
                submitted = recorded + dt.timedelta(days=21 if late else 3)
                if submitted >= today:
                    continue  # not filed yet
                serial = q * 10 + n + 1
                pid = f"IR-{team.name}-{period.label.replace('-', '')}-{n + 1:02d}{id_suffix}"
                plan.append((pid, team, kind, serial, recorded, submitted))
    return plan


async def seed_interview_records(
    *,
    db_engine: Engine,
    client: Client,
    settings: Settings,
    today: dt.date | None = None,
    quarters: int = 4,
    id_suffix: str = "",
) -> list[str]:
    """Submit the demo interview records not yet stored, each by its interviewer; returns the ids submitted now."""
    folder: Path = settings.var_dir / "demo" / "interview-records"
    folder.mkdir(parents=True, exist_ok=True)
    submitted = []
    for pid, team, kind, serial, recorded, on in planned_records(today or dt.date.today(), quarters, id_suffix):
        with Session(db_engine) as session:
            if get_product(session=session, product_id=pid) is not None:
                continue
        path = folder / f"{pid}.md"
        path.write_text(interview_record(pid, team, kind, serial, recorded, on), encoding="utf-8")
        try:
            await reviews.submit(db_engine=db_engine, client=client, settings=settings, path=path, actor_id=team.author)
            submitted.append(pid)
        except ServiceError as exc:
            log.warning("demo interview record %s not submitted: %s", pid, exc.message)
    return submitted


async def drive_spu_reviews(
    *,
    db_engine: Engine,
    client: Client,
    today: dt.date | None = None,
    quarters: int = 4,
    id_suffix: str = "",
    settled_before_days: int = 30,
) -> dict[str, str]:
    """The SPU officer reviews the demo records filed more than `settled_before_days` ago (the recent
    ones stay in the SPU's queue): a clean record is approved; one whose only finding is VUL-IR-04 (no
    psychosocial support) has it dismissed with the reason the team gave (records of January and July
    quarters) or is returned; a blocked one is escalated to the GCU head. Only reviews still queued
    are touched. Returns what happened to each."""
    from models.enums import DecisionKind, Verdict

    today = today or dt.date.today()
    done: dict[str, str] = {}
    officer = SPU_ACCOUNTS[0][1]
    for pid, _team, _kind, _serial, _recorded, submitted_on in planned_records(today, quarters, id_suffix):
        if submitted_on > today - dt.timedelta(days=settled_before_days):
            continue
        try:
            st = await reviews.wait_for_precheck(client=client, product_id=pid, timeout=30.0)
            if st is None or st.state != "queued":
                continue
            st = await reviews.claim(db_engine=db_engine, client=client, product_id=pid, actor_id=officer)
            rules_open = {f.rule_id for f in st.findings if f.state == "open"}
            quarter = containing("quarter", submitted_on)
            if st.verdict == Verdict.BLOCKED:
                await reviews.decide(
                    db_engine=db_engine,
                    client=client,
                    product_id=pid,
                    decision=DecisionKind.ESCALATE,
                    actor_id=officer,
                    reason="A blocking finding the team cannot fix after the event.",
                )
                done[pid] = "escalated"
            elif rules_open == {"VUL-IR-04"} and quarter.start.month in (1, 7):
                await reviews.dismiss(
                    db_engine=db_engine,
                    client=client,
                    product_id=pid,
                    rule_id="VUL-IR-04",
                    actor_id=officer,
                    reason="The witness declined support at the interview; a psychologist saw them the next day.",
                )
                await reviews.decide(
                    db_engine=db_engine,
                    client=client,
                    product_id=pid,
                    decision=DecisionKind.APPROVE,
                    actor_id=officer,
                    reason=None,
                )
                done[pid] = "dismissed and approved"
            elif rules_open:
                await reviews.decide(
                    db_engine=db_engine,
                    client=client,
                    product_id=pid,
                    decision=DecisionKind.RETURN,
                    actor_id=officer,
                    reason="Explain the findings or record the support given.",
                )
                done[pid] = "returned"
            else:
                await reviews.decide(
                    db_engine=db_engine,
                    client=client,
                    product_id=pid,
                    decision=DecisionKind.APPROVE,
                    actor_id=officer,
                    reason=None,
                )
                done[pid] = "approved"
        except ServiceError as exc:
            log.warning("demo SPU review of %s stopped: %s", pid, exc.message)
    return done
