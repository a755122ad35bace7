"""Products and their versions. The uploaded file is stored in the database (`content`), so it can
only be served through the access checks of the web app and the CLI."""

import hashlib
from typing import Any

from sqlmodel import Session, col, select

from models.enums import ReviewState
from models.tables import Decision, Finding, Product, ProductVersion, Review, utcnow
from store.db import get_existing
from store.errors import ProductLocked, ProductMismatch, StoreError


def create_version(
    *,
    session: Session,
    product_id: str,
    product_type: str,
    team_id: str,
    situation: str,
    author_id: str,
    title: str,
    version_label: str,
    filename: str,
    media_type: str,
    content: bytes,
    front_matter: dict[str, Any],
    submitted_by: str,
    check_text: str | None = None,
) -> ProductVersion:
    """Store a new version (creating the product on its first one); version numbers count 1, 2, ...

    `check_text` is the Markdown the rules read when the file itself is not Markdown (.docx/.pdf).
    """
    product = session.get(Product, product_id, with_for_update=True)
    if product is None:
        product = Product(
            id=product_id,
            type=str(product_type),
            team_id=team_id,
            situation=situation,
            author_id=author_id,
            title=title,
        )
        session.add(product)
    else:
        _refuse_if_locked(session, product)
        if product.type != str(product_type):
            raise ProductMismatch(
                f"product {product_id} is a {product.type}; a new version cannot make it a {product_type}"
            )
        if product.team_id != team_id:
            raise ProductMismatch(
                f"product {product_id} belongs to team {product.team_id}; a new version cannot move it to {team_id}"
            )
        product.situation = situation
        product.title = title
    product.current_version_no += 1
    version = ProductVersion(
        product_id=product_id,
        version_no=product.current_version_no,
        version_label=version_label,
        filename=filename,
        media_type=media_type,
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        size_bytes=len(content),
        front_matter=front_matter,
        check_text=check_text,
        submitted_by=submitted_by,
        submitted_at=utcnow(),
    )
    session.add(version)
    session.flush()
    return version


def _refuse_if_locked(session: Session, product: Product) -> None:
    locked = session.exec(
        select(ProductVersion.version_no).where(ProductVersion.product_id == product.id, ProductVersion.locked)
    ).first()
    review_state = session.exec(select(Review.state).where(Review.product_id == product.id)).first()
    if locked is not None or review_state == ReviewState.APPROVED:
        which = f"version {locked}" if locked is not None else "its review"
        raise ProductLocked(f"product {product.id} is approved ({which}) and locked; submit changes as a new product")


def get_product(*, session: Session, product_id: str) -> Product | None:
    return session.get(Product, product_id)


def get_version(*, session: Session, version_id: int) -> ProductVersion | None:
    return session.get(ProductVersion, version_id)


def get_version_by_no(*, session: Session, product_id: str, version_no: int) -> ProductVersion | None:
    return session.exec(
        select(ProductVersion).where(ProductVersion.product_id == product_id, ProductVersion.version_no == version_no)
    ).one_or_none()


def list_versions(*, session: Session, product_id: str) -> list[ProductVersion]:
    return list(
        session.exec(
            select(ProductVersion)
            .where(col(ProductVersion.product_id) == product_id)
            .order_by(col(ProductVersion.version_no))
        )
    )


def delete_unreviewed_version(*, session: Session, version_id: int) -> bool:
    """Take back the latest version of a product when its review refused it (e.g. a resubmission
    the workflow rejected), so the stored history holds only versions that were reviewed.

    Refused for a version that is not the latest, is locked, or already has findings or decisions.
    The product goes too when this was its only version and it has no review. False: no such version.
    """
    version = session.get(ProductVersion, version_id)
    if version is None:
        return False
    product = get_existing(session, Product, version.product_id, with_for_update=True)
    has_findings = session.exec(select(Finding.id).where(Finding.version_id == version_id)).first() is not None
    has_decisions = session.exec(select(Decision.id).where(Decision.version_id == version_id)).first() is not None
    if version.locked or has_findings or has_decisions or version.version_no != product.current_version_no:
        raise StoreError(
            f"version {version.version_no} of {product.id} has been reviewed or superseded; it cannot be taken back"
        )
    session.delete(version)
    product.current_version_no -= 1
    session.flush()
    has_review = session.exec(select(col(Review.id)).where(col(Review.product_id) == product.id)).first() is not None
    if product.current_version_no == 0 and not has_review:
        session.delete(product)
    session.flush()
    return True
