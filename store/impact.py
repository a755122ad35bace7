"""The latest stored version of every product, with its findings, read in batches for `rules impact`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col

from models.tables import Finding, Product, ProductVersion, Review


@dataclass
class StoredJudgement:
    product_id: str
    product_type: str
    team_id: str
    version_no: int
    text: str | None  # None: the stored bytes are not UTF-8
    verdict: str | None
    pack_version: str | None
    findings: list[tuple[str, str, str]]  # (rule id, severity, state)
    review_state: str | None  # None: no review recorded


def latest_judgements(*, session: Session, batch: int = 500) -> Iterator[StoredJudgement]:
    """Products in id order, each with its current version (keyset pages: no OFFSET scans)."""
    last = ""
    while True:
        rows = session.execute(
            sa.select(
                col(Product.id),
                col(Product.type),
                col(Product.team_id),
                col(ProductVersion.id).label("vid"),
                col(ProductVersion.version_no),
                col(ProductVersion.check_text),
                col(ProductVersion.content),
                col(ProductVersion.verdict),
                col(ProductVersion.pack_version),
                col(Review.state).label("review_state"),
            )
            .join(
                ProductVersion,
                sa.and_(
                    col(ProductVersion.product_id) == col(Product.id),
                    col(ProductVersion.version_no) == col(Product.current_version_no),
                ),
            )
            .outerjoin(Review, col(Review.product_id) == col(Product.id))
            .where(col(Product.id) > last)
            .order_by(col(Product.id))
            .limit(batch)
        ).all()
        if not rows:
            return
        found: dict[int, list[tuple[str, str, str]]] = {r.vid: [] for r in rows}
        for f in session.execute(
            sa.select(col(Finding.version_id), col(Finding.rule_id), col(Finding.severity), col(Finding.state)).where(
                col(Finding.version_id).in_(list(found))
            )
        ):
            found[f.version_id].append((f.rule_id, f.severity, str(f.state)))
        for r in rows:
            text = r.check_text
            if text is None:
                try:
                    text = bytes(r.content).decode("utf-8")
                except UnicodeDecodeError:
                    text = None
            yield StoredJudgement(
                r.id, r.type, r.team_id, r.version_no, text, r.verdict, r.pack_version, found[r.vid], r.review_state
            )
        last = rows[-1].id


def count_products(*, session: Session) -> int:
    """How many products `latest_judgements` goes through (every product has a current version)."""
    return session.execute(sa.select(sa.func.count()).select_from(Product)).scalar_one()
