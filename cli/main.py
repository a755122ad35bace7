"""`gcu-review`: the operator CLI. Each command module registers its commands on the one Typer app."""

import os
import sys

import typer

app = typer.Typer(no_args_is_help=True, help="GCU compliance review: rules, reviews, roster and KPIs.")


@app.callback()
def _options(
    request_id: str | None = typer.Option(
        None, "--request-id", envvar="GCU_REVIEW_REQUEST_ID",
        help="An idempotency key for the review action that follows (gcu-review --request-id KEY comment ...): "
             "run again with the same key, the action is made once and answered like the first time."),
) -> None:
    from cli import common

    common.REQUEST_ID = request_id


def _register_all() -> None:
    from cli import admin, certs, check, kpi, repair, retention, reviews, summaries, web

    check.register(app)
    reviews.register(app)
    admin.register(app)
    certs.register(app)
    kpi.register(app)
    web.register(app)
    summaries.register(app)
    retention.register(app)
    repair.register(app)


_register_all()


def main() -> None:
    """Console entry point.

    The Temporal client's Rust runtime keeps native threads that can abort CPython's finalisation
    ("PyGILState_Release: thread state must be current", temporalio/sdk-python#300), turning a
    finished command into a SIGABRT. So once the command is done and its output flushed, the
    process ends without interpreter teardown.
    """
    try:
        app()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if not isinstance(exc.code, (int, type(None))):
            print(exc.code, file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
