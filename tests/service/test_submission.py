"""A submission is whole or nothing, and safe to retry: a start that certainly failed leaves nothing
stored; a product stored by a submission whose start is in doubt (Temporal unreachable, or the
process died in between) is started by the next submission of the same file; a retry with the
same request id answers like the first. On the dev server, with the real worker and database (tests/web/flow.py)."""

import uuid

import pytest
from sqlmodel import Session, select
from temporalio.client import Client
from temporalio.service import RetryConfig, RPCError, RPCStatusCode

from models.enums import ReviewState
from models.tables import Product
from service import reviews
from service.errors import ActionRefused, ServiceError
from tests.faults.harness import TcpProxy
from tests.web.flow import new_product_id, review_system, s1_text, wait_for_state

TEAM_LEADER = "HE-01"


def product_file(tmp_path, product_id: str):
    path = tmp_path / f"{product_id}-{uuid.uuid4().hex[:4]}.md"
    path.write_text(s1_text(product_id), encoding="utf-8")
    return path


def stored_products(engine, product_id: str) -> list[str]:
    with Session(engine) as session:
        return list(session.exec(select(Product.id).where(Product.id == product_id)))


async def temporal_that_goes_down(client: Client) -> tuple[Client, TcpProxy]:
    """A client connected through a relay, which the test then cuts: Temporal is unreachable."""
    host, port = client.service_client.config.target_host.rsplit(":", 1)
    proxy = TcpProxy(host, int(port))
    await proxy.start()
    through = await Client.connect(
        f"127.0.0.1:{proxy.port}", data_converter=client.data_converter, retry_config=RetryConfig(max_retries=0)
    )
    return through, proxy


async def test_a_submission_cut_short_by_a_temporal_outage_is_finished_by_the_next(tmp_path, temporal_env):
    async with review_system(tmp_path, temporal_env) as (settings, engine, client):
        pid = new_product_id()
        path = product_file(tmp_path, pid)
        down, proxy = await temporal_that_goes_down(client)
        await proxy.cut()
        with pytest.raises(ServiceError, match=f"product {pid} is stored but its review may not have started"):
            await reviews.submit(
                db_engine=engine, client=down, settings=settings, path=path, actor_id=TEAM_LEADER, wait_seconds=0
            )
        assert stored_products(engine, pid) == [pid]  # stored: whether the review started is unknown

        # Temporal is back: the same submission finishes the first (it used to say "already submitted").
        await proxy.restore()
        try:
            result = await reviews.submit(
                db_engine=engine, client=down, settings=settings, path=path, actor_id=TEAM_LEADER
            )
        finally:
            await proxy.close()
        assert result.product_id == pid
        await wait_for_state(engine, pid, "queued")


async def test_a_product_stored_without_its_review_is_started_by_the_next_submission(tmp_path, temporal_env):
    """What a process that died between the commit and the start leaves behind."""
    async with review_system(tmp_path, temporal_env) as (settings, engine, client):
        pid = new_product_id()
        path = product_file(tmp_path, pid)
        reviews._store_first_version(engine, settings, path, None, TEAM_LEADER)  # the commit, then the crash

        result = await reviews.submit(
            db_engine=engine, client=client, settings=settings, path=path, actor_id=TEAM_LEADER
        )
        assert result.status is not None and result.status.state == ReviewState.QUEUED
        # Once it has a review, the product is submitted: a second submission is refused as before.
        with pytest.raises(ActionRefused, match="already submitted"):
            await reviews.submit(db_engine=engine, client=client, settings=settings, path=path, actor_id=TEAM_LEADER)


async def test_a_retried_submission_with_the_same_request_id_answers_like_the_first(tmp_path, temporal_env):
    async with review_system(tmp_path, temporal_env) as (settings, engine, client):
        pid = new_product_id()
        path = product_file(tmp_path, pid)
        first = await reviews.submit(
            db_engine=engine,
            client=client,
            settings=settings,
            path=path,
            actor_id=TEAM_LEADER,
            request_id="browser-retry-1",
        )
        again = await reviews.submit(
            db_engine=engine,
            client=client,
            settings=settings,
            path=path,
            actor_id=TEAM_LEADER,
            request_id="browser-retry-1",
        )
        assert (again.product_id, again.workflow_id, again.version_no) == (first.product_id, first.workflow_id, 1)
        status = await reviews.status(client=client, product_id=pid)
        assert [h.action for h in status.history].count("submit") == 1
        with pytest.raises(ActionRefused, match="already submitted"):
            await reviews.submit(
                db_engine=engine,
                client=client,
                settings=settings,
                path=path,
                actor_id=TEAM_LEADER,
                request_id="another-key",
            )


async def test_a_start_that_certainly_failed_takes_the_stored_version_back(tmp_path, temporal_env, monkeypatch):
    """The start was refused (Temporal answered it was unavailable) and Temporal then confirms there
    is no such review: nothing of the submission stays stored, so a plain retry works."""
    async with review_system(tmp_path, temporal_env) as (settings, engine, client):
        pid = new_product_id()
        path = product_file(tmp_path, pid)

        async def unavailable(*_args, **_kwargs):
            raise RPCError("frontend overloaded", RPCStatusCode.UNAVAILABLE, b"")

        with monkeypatch.context() as patched:
            patched.setattr(reviews, "start_review", unavailable)
            with pytest.raises(ServiceError, match=f"product {pid} was not submitted; submit it again"):
                await reviews.submit(
                    db_engine=engine, client=client, settings=settings, path=path, actor_id=TEAM_LEADER, wait_seconds=0
                )
        assert stored_products(engine, pid) == []
        result = await reviews.submit(
            db_engine=engine, client=client, settings=settings, path=path, actor_id=TEAM_LEADER
        )
        assert result.status is not None and result.status.state == ReviewState.QUEUED
