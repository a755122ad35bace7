import hashlib

import pytest

from models.tables import Review
from store.db import session_scope
from store.errors import ProductLocked, ProductMismatch, StoreError
from store.products import delete_unreviewed_version, get_product, get_version, get_version_by_no, list_versions
from tests.dbutil import uid
from tests.store.factories import new_version


def test_the_first_version_creates_the_product_and_stores_the_file(engine):
    product_id = uid("P")
    with session_scope(engine) as session:
        version = new_version(session, product_id=product_id, text="# hello\n")
    with session_scope(engine) as session:
        stored = get_version(session=session, version_id=version.id)
        product = get_product(session=session, product_id=product_id)
    assert (stored.version_no, product.current_version_no) == (1, 1)
    assert stored.content == b"# hello\n"
    assert stored.sha256 == hashlib.sha256(b"# hello\n").hexdigest()
    assert stored.front_matter == {"product": {"type": "IP"}}
    assert stored.submitted_at.tzinfo is not None


def test_versions_are_numbered_in_order(engine):
    product_id = uid("P")
    with session_scope(engine) as session:
        for _ in range(3):
            new_version(session, product_id=product_id)
    with session_scope(engine) as session:
        assert [v.version_no for v in list_versions(session=session, product_id=product_id)] == [1, 2, 3]
        assert get_version_by_no(session=session, product_id=product_id, version_no=2).version_no == 2


def test_a_locked_version_refuses_a_new_version(engine):
    product_id = uid("P")
    with session_scope(engine) as session:
        new_version(session, product_id=product_id).locked = True
    with pytest.raises(ProductLocked, match=f"product {product_id} is approved"), session_scope(engine) as session:
        new_version(session, product_id=product_id)


def test_an_approved_review_refuses_a_new_version(engine):
    product_id = uid("P")
    with session_scope(engine) as session:
        new_version(session, product_id=product_id)
        session.add(
            Review(
                product_id=product_id,
                workflow_id=f"product-review-{product_id}",
                state="approved",
                team_id="T-HERON",
                product_type="IP",
                situation="S",
            )
        )
    with pytest.raises(ProductLocked, match="locked"), session_scope(engine) as session:
        new_version(session, product_id=product_id)


@pytest.mark.parametrize(
    "change, message", [({"product_type": "IO"}, "is a IP"), ({"team_id": "T-OSPREY"}, "belongs to team T-HERON")]
)
def test_a_new_version_cannot_change_type_or_team(engine, change, message):
    product_id = uid("P")
    with session_scope(engine) as session:
        new_version(session, product_id=product_id)
    with pytest.raises(ProductMismatch, match=message), session_scope(engine) as session:
        new_version(session, product_id=product_id, **change)


def test_an_unreviewed_latest_version_can_be_taken_back(engine):
    product_id = uid("P")
    with session_scope(engine) as session:
        new_version(session, product_id=product_id)
        v2 = new_version(session, product_id=product_id)
    with session_scope(engine) as session:
        assert delete_unreviewed_version(session=session, version_id=v2.id) is True
    with session_scope(engine) as session:
        assert get_product(session=session, product_id=product_id).current_version_no == 1
        assert new_version(session, product_id=product_id).version_no == 2


def test_a_products_only_version_taken_back_removes_the_product(engine):
    with session_scope(engine) as session:
        v1 = new_version(session)
    with session_scope(engine) as session:
        delete_unreviewed_version(session=session, version_id=v1.id)
    with session_scope(engine) as session:
        assert get_product(session=session, product_id=v1.product_id) is None


def test_a_superseded_or_locked_version_cannot_be_taken_back(engine):
    product_id = uid("P")
    with session_scope(engine) as session:
        v1 = new_version(session, product_id=product_id)
        new_version(session, product_id=product_id).locked = True
    with session_scope(engine) as session, pytest.raises(StoreError, match="cannot be taken back"):
        delete_unreviewed_version(session=session, version_id=v1.id)
