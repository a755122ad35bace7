"""`gcu-review`: the operator CLI. Each command module registers its commands on the one Typer app."""

import os
import sys

import typer

# No local variables in tracebacks: a frame's locals may hold a password or a key.
app = typer.Typer(
    no_args_is_help=True,
    help="GCU compliance review: rules, reviews, roster and KPIs.",
    pretty_exceptions_show_locals=False,
)


@app.callback()
def _options(
    request_id: str | None = typer.Option(
        None,
        "--request-id",
        envvar="GCU_REVIEW_REQUEST_ID",
        help="An idempotency key for the review action that follows (gcu-review --request-id KEY comment ...): "
        "run again with the same key, the action is made once and answered like the first time.",
    ),
) -> None:
    """Every command acts through the CLI, as the audit trail records; --request-id makes its action
    idempotent. (Typer keeps one callback per app: both belong here.)"""
    from cli import common
    from models.enums import AuditChannel
    from service.channel import set_channel

    set_channel(AuditChannel.CLI)
    common.REQUEST_ID = request_id


def _register_all() -> None:
    from cli import admin, certs, check, keys, kpi, repair, retention, reviews, summaries, web

    check.register(app)
    reviews.register(app)
    admin.register(app)
    certs.register(app)
    kpi.register(app)
    web.register(app)
    summaries.register(app)
    retention.register(app)
    keys.register(app)
    repair.register(app)


_register_all()


def main() -> None:
    """Console entry point.

    The Temporal client's Rust runtime keeps native threads that can abort CPython's finalisation
    ("PyGILState_Release: thread state must be current", temporalio/sdk-python#300), turning a
    finished command into a SIGABRT. So once the command is done and its output flushed, the
    process ends without interpreter teardown.
    """
    from settings import ConfigurationError

    try:
        app()
        code = 0
    except ConfigurationError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        code = 2
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if not isinstance(exc.code, (int, type(None))):
            print(exc.code, file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
