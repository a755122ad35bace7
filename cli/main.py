"""`gcu-review`: the operator CLI. Each command module registers its commands on the one Typer app."""

import typer

app = typer.Typer(no_args_is_help=True, help="GCU compliance review: rules, reviews, roster and KPIs.")


def _register_all() -> None:
    from cli import admin, check, reviews

    check.register(app)
    reviews.register(app)
    admin.register(app)


_register_all()

if __name__ == "__main__":
    app()
