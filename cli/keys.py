"""`gcu-review keys`: the AES-256 keys that seal Temporal payloads (docs/production.md)."""

from datetime import date

import typer

from settings import get_settings

keys_app = typer.Typer(no_args_is_help=True, help="Keys of the Temporal payload codec (TEMPORAL_PAYLOAD_KEYS).")


@keys_app.command("new")
def keys_new(
    key_id: str = typer.Option("", "--id", help="the key's id (default: today's date, e.g. 2026-12-03)"),
) -> None:
    """Print a fresh KEY_ID:KEY entry for TEMPORAL_PAYLOAD_KEYS (nothing is stored anywhere)."""
    from service.payload_codec import PayloadKeyError, new_key_entry

    try:
        typer.echo(new_key_entry(key_id or date.today().isoformat()))
    except PayloadKeyError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


@keys_app.command("show")
def keys_show() -> None:
    """Which key seals new payloads and which retired ones still open old payloads (ids only)."""
    from service.payload_codec import parse_keyring

    settings = get_settings()
    keyring = parse_keyring(settings.payload_keys())
    source = (
        "TEMPORAL_PAYLOAD_KEYS"
        if settings.temporal_payload_keys
        else "the development key (TEMPORAL_PAYLOAD_KEYS unset)"
    )
    typer.echo(f"keys from {source}")
    typer.echo(f"current: {keyring.current_id}")
    for key_id in keyring.keys:
        if key_id != keyring.current_id:
            typer.echo(f"retired (opens old payloads only): {key_id}")


def register(app: typer.Typer) -> None:
    app.add_typer(keys_app, name="keys")
