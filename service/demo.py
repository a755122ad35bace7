"""Demo data for `make run`: the demo register and the dev sample products in several states.

Idempotent: a second `make run` finds the products already submitted and leaves them alone.
"""

import logging
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session
from temporalio.client import Client

from models.enums import DecisionKind
from rules.roster import load_roster
from service import reviews
from service.errors import ServiceError
from settings import PROJECT_ROOT, Settings
from store.products import get_product
from store.roster_import import import_roster

log = logging.getLogger("gcu_review.demo")

DEMO_DIR = PROJECT_ROOT / "demo"
# Submitted in this order, each by the author named in its front matter.
DEMO_PRODUCTS = sorted(p.name for p in (DEMO_DIR / "products").glob("*.md"))


def import_demo_roster(db_engine: Engine, roster_path: Path = DEMO_DIR / "roster.yaml") -> None:
    load = load_roster(roster_path)
    with Session(db_engine) as session:
        import_roster(session=session, load=load)
        session.commit()


async def seed(*, db_engine: Engine, client: Client, settings: Settings) -> list[str]:
    """Submit the demo products not yet in the database; returns the product ids submitted now."""
    import_demo_roster(db_engine)
    submitted: list[str] = []
    for filename in DEMO_PRODUCTS:
        path = DEMO_DIR / "products" / filename
        meta = reviews._parse_or_refuse(reviews.read_source(path, None, settings))
        with Session(db_engine) as session:
            if get_product(session=session, product_id=meta["product_id"]) is not None:
                continue
        try:
            await reviews.submit(
                db_engine=db_engine, client=client, settings=settings, path=path, actor_id=meta["author_id"]
            )
            submitted.append(meta["product_id"])
        except ServiceError as exc:
            log.warning("demo product %s not submitted: %s", filename, exc.message)
    return submitted


async def drive_demo_states(*, db_engine: Engine, client: Client, product_ids: list[str]) -> None:
    """Move a few freshly submitted demo products along so every queue state has an example."""
    import asyncio

    async def settled(pid: str) -> None:
        for _ in range(100):
            st = await reviews.status(client=client, product_id=pid)
            if st.state == "queued":
                return
            await asyncio.sleep(0.1)

    plan: dict[str, list[tuple[Any, ...]]] = {
        # Contract v2: the child's own needs were not recorded (VUL-INT-02, major); the reviewer
        # dismisses it with the reason before approving.
        "IO-HERON-2025-104": [
            ("claim", "GX-02"),
            (
                "dismiss",
                "GX-02",
                "VUL-INT-02",
                "Her needs were asked by the GCU psychologist on 5 March 2025; the record is in the assessment file.",
            ),
            ("decide", "GX-02", DecisionKind.APPROVE, None),
        ],
        "IP-HERON-2025-02": [
            ("claim", "GX-03"),
            ("decide", "GX-03", DecisionKind.RETURN, "Add the gender analysis and the GCU milestone before AWA/DCC."),
        ],
    }
    for pid in product_ids:
        steps = plan.get(pid)
        if not steps:
            continue
        await settled(pid)
        for step in steps:
            try:
                if step[0] == "claim":
                    await reviews.claim(db_engine=db_engine, client=client, product_id=pid, actor_id=step[1])
                elif step[0] == "dismiss":
                    await reviews.dismiss(
                        db_engine=db_engine,
                        client=client,
                        product_id=pid,
                        actor_id=step[1],
                        rule_id=step[2],
                        reason=step[3],
                    )
                else:
                    await reviews.decide(
                        db_engine=db_engine,
                        client=client,
                        product_id=pid,
                        actor_id=step[1],
                        decision=step[2],
                        reason=step[3],
                    )
            except ServiceError as exc:
                log.warning("demo step %s on %s refused: %s", step[0], pid, exc.message)
                break
