"""`rules impact` benchmark: a candidate pack over N stored products, against the cost of checking
the same N texts once with that pack (same run, same machine).

N products are stored (copies of the 8 v1 and 8 v2 dev samples under unique ids), each judged by
pack 1.0.0 as before a roll-out; `run_impact` with pack 2.0.0 then reads every latest version with
its findings, checks it and compares. Target: the impact run within a few times (<= 3x) of the
bare checks.

Run: .venv/bin/python bench/impact_bench.py [--products 10000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlmodel import Session

from models.tables import Finding, Product, ProductVersion, utcnow
from rules.library import engine_for
from rules.roster import load_roster
from service.impact import run_impact
from store.db import make_engine, migrate
from store.roster_import import import_roster
from store.roster_view import roster_from_db

V1 = ROOT / "tests" / "fixtures" / "samples"
V2 = ROOT / "tests" / "fixtures" / "samples_v2"
_ID = re.compile(r"^  id: (\S+)$", re.MULTILINE)
_TYPE = re.compile(r"^  type: (\S+)$", re.MULTILINE)
_TEAM = re.compile(r"^  team: (\S+)$", re.MULTILINE)


def seed(db, count: int) -> list[str]:
    """`count` products judged by pack 1.0.0; returns their texts (what a bare check reads)."""
    v1 = engine_for("1.0")
    with Session(db) as session:
        import_roster(session=session, load=load_roster(V2 / "roster.yaml"))
        session.commit()
        roster = roster_from_db(session=session)
    samples = [p.read_text() for p in sorted(V1.glob("S*.md")) + sorted(V2.glob("V*.md"))]
    judged = [v1.check_text(t, roster) for t in samples]
    texts = []
    now = utcnow()
    with Session(db) as session:
        for i in range(count):
            k = i % len(samples)
            pid = f"BENCH-{i:06d}"
            text = _ID.sub(f"  id: {pid}", samples[k], count=1)
            texts.append(text)
            result = judged[k]
            session.add(
                Product(
                    id=pid,
                    type=_TYPE.search(text).group(1),
                    team_id=_TEAM.search(text).group(1),
                    situation="Situation in Velmora",
                    author_id="HE-01",
                    title=pid,
                    current_version_no=1,
                )
            )
            version = ProductVersion(
                product_id=pid,
                version_no=1,
                version_label="1.0",
                filename=f"{pid}.md",
                media_type="text/markdown",
                sha256="0" * 64,
                size_bytes=len(text),
                submitted_by="HE-01",
                submitted_at=now,
                verdict=result.verdict.value,
                pack_version=result.pack_version,
                content=text.encode(),
                check_text=text,
            )
            session.add(version)
            session.flush()
            for f in result.findings:
                session.add(
                    Finding(
                        finding_id=f"{pid}:v1:{f.rule_id}",
                        product_id=pid,
                        version_id=version.id,
                        rule_id=f.rule_id,
                        severity=str(f.severity),
                        message=f.message,
                        citation=f.citation,
                        location=f.location,
                        pack_version=f.pack_version,
                    )
                )
            if i % 1000 == 999:
                session.commit()
        session.commit()
    return texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--database-url", default=None, help="default: a new SQLite file in a temporary folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/impact.db"
        migrate(url)
        db = make_engine(url)
        started = time.perf_counter()
        texts = seed(db, args.products)
        seeded = time.perf_counter() - started
        candidate, active = engine_for("2.0"), engine_for("1.0")
        with Session(db) as session:
            roster = roster_from_db(session=session)
        candidate.check_text(texts[0], roster)  # warm-up outside the clocks
        started = time.perf_counter()
        for text in texts:
            candidate.check_text(text, roster)
        bare = time.perf_counter() - started
        started = time.perf_counter()
        report = run_impact(db_engine=db, candidate=candidate, active=active)
        impact = time.perf_counter() - started
        db.dispose()
    print(f"{args.products} stored products (seeded in {seeded:.1f} s); {report.products_changed} would change")
    print(f"bare checks with pack 2.0.0:   {bare:8.2f} s ({bare / args.products * 1000:.2f} ms per product)")
    print(f"rules impact 1.0.0 -> 2.0.0:   {impact:8.2f} s")
    print(f"ratio {impact / bare:.2f}x (target <= 3x)")


if __name__ == "__main__":
    main()
