"""Secrets never show: not in logs of the worker and the CLI, not in repr(settings); and the
development secret key is refused outside development.

Known secrets are planted in every place a secret can come from (SECRET_KEY, TEMPORAL_API_KEY,
OIDC_CLIENT_SECRET, the password inside DATABASE_URL); then the output is searched for them.
A new secret setting belongs in SECRETS below."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from pydantic import ValidationError

from settings import DEV_SECRET, ConfigurationError, Settings
from store.db import normalize_url
from tests.dbutil import POSTGRES_ENV, fresh_database

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SECRETS = {
    "SECRET_KEY": "sk-planted-3f9c2a71d8e4-Qm7vXw2LpR9tKz4HbN6yJc8dFs1gUe5a",
    "TEMPORAL_API_KEY": "tak-planted-b81e55c09a2f",
    "OIDC_CLIENT_SECRET": "oidc-planted-7d2e90aa41c3",
    "SMTP_PASSWORD": "smtp-planted-5e61b2c8f0d4",
    "TEMPORAL_PAYLOAD_KEYS": "planted:9XQ0lYm2cJb6o1sXr4fJ3qv8Tn5eW7hK2aZ6dC1uPfE=",
}
DB_PASSWORD = "dbpw-planted-c4a1f0e93b7d"


def _assert_no_secret(text: str, where: str) -> None:
    for name, value in {**SECRETS, "database password": DB_PASSWORD}.items():
        assert value not in text, f"{name} appears in {where}:\n{text}"


def _cli(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _base_env(tmp_path: Path, database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        **SECRETS,
        "DATABASE_URL": database_url,
        "VAR_DIR": str(tmp_path),
        "ENVIRONMENT": "production",
    }


def _url_with_password(url: str) -> str:
    # Local PostgreSQL trusts connections, so a planted password is accepted and ignored.
    return sa.make_url(normalize_url(url)).set(password=DB_PASSWORD).render_as_string(hide_password=False)


# ---------------------------------------------------------------- the default secret


@pytest.mark.parametrize("environment", ["production"])
def test_the_development_secret_is_refused_in_production(environment):
    with pytest.raises(ConfigurationError) as caught:
        Settings(environment=environment)
    assert "SECRET_KEY must be set to a non-default value" in str(caught.value)
    with pytest.raises(ConfigurationError):
        Settings(environment=environment, secret_key=DEV_SECRET)


def test_a_real_secret_is_accepted_in_production():
    assert (
        Settings(
            environment="production",
            secret_key=SECRETS["SECRET_KEY"],
            temporal_payload_keys=SECRETS["TEMPORAL_PAYLOAD_KEYS"],
        ).environment
        == "production"
    )


def test_the_development_secret_is_allowed_in_development():
    assert Settings(environment="development").secret_key.get_secret_value() == DEV_SECRET


@pytest.mark.parametrize("weak", ["abc", "a" * 64, "password" * 8, "sk-planted-3f9c2a71d8e4"])
def test_a_weak_secret_key_is_refused_in_production_with_how_to_make_one(weak):
    with pytest.raises(ConfigurationError) as caught:
        Settings(environment="production", secret_key=weak)
    message = str(caught.value)
    assert "SECRET_KEY is too weak" in message and "secrets.token_urlsafe" in message
    assert weak not in message


def test_a_generated_secret_key_is_accepted_in_production():
    import secrets

    for _ in range(20):
        key = secrets.token_urlsafe(32)
        settings = Settings(
            environment="production", secret_key=key, temporal_payload_keys="prod-test:" + "A" * 43 + "="
        )
        assert settings.secret_key.get_secret_value() == key


def test_a_weak_key_is_still_fine_in_development():
    assert Settings(environment="development", secret_key="abc").environment == "development"


# ---------------------------------------------------------------- refusals echo nothing


@pytest.mark.parametrize("name", [n for n in SECRETS if n != "SECRET_KEY"])
def test_the_production_refusal_does_not_echo_a_secret(name):
    with pytest.raises(ConfigurationError) as caught:
        Settings(environment="production", **{name.lower(): SECRETS[name]})
    assert "SECRET_KEY must be set" in str(caught.value)
    assert caught.value.__context__ is None and caught.value.__cause__ is None
    _assert_no_secret(str(caught.value) + repr(caught.value) + repr(vars(caught.value)), "the refusal")


def test_a_refused_setting_does_not_echo_its_value():
    with pytest.raises(ValidationError) as caught:
        Settings(web_port=SECRETS["SMTP_PASSWORD"], smtp_password=SECRETS["SMTP_PASSWORD"])
    _assert_no_secret(str(caught.value) + repr(caught.value), "a field's refusal")


@pytest.mark.parametrize("name", [n for n in SECRETS if n != "SECRET_KEY"])
def test_the_worker_refusing_production_prints_no_secret(tmp_path, name):
    """The probe's reproduction: `ENVIRONMENT=production DATABASE_URL=sqlite:///x.db
    SMTP_PASSWORD=... gcu-review worker` printed the password at the end of the settings it echoed."""
    env = {
        **os.environ,
        "ENVIRONMENT": "production",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
        name: SECRETS[name],
    }
    env.pop("SECRET_KEY", None)
    done = _cli("worker", env=env)
    assert done.returncode == 2
    assert "configuration error: SECRET_KEY must be set" in done.stderr
    assert "Traceback" not in done.stderr and "input_value" not in done.stderr
    _assert_no_secret(done.stdout + done.stderr, "the refusal of `gcu-review worker`")


def test_the_tail_of_a_long_weak_key_is_not_printed(tmp_path):
    key = "a" * 56 + "TaIlPrOb"
    env = {
        **os.environ,
        "ENVIRONMENT": "production",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
        "SECRET_KEY": key,
    }
    done = _cli("worker", env=env)
    assert done.returncode == 2 and "SECRET_KEY is too weak" in done.stderr
    assert "TaIlPrOb" not in done.stdout + done.stderr


@pytest.mark.parametrize("environment", ["staging", "prod"])
def test_the_development_secret_is_refused_in_any_other_environment(environment):
    with pytest.raises(ConfigurationError):
        Settings(environment=environment)


def test_the_cli_refuses_to_start_in_production_with_the_default_key(tmp_path):
    env = {**os.environ, "ENVIRONMENT": "production", "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    env.pop("SECRET_KEY", None)
    done = _cli("db", "upgrade", env=env)
    assert done.returncode != 0
    assert "SECRET_KEY must be set" in done.stderr
    assert not (tmp_path / "x.db").exists()


# ---------------------------------------------------------------- repr and logs


def test_repr_of_settings_shows_no_secret():
    settings = Settings(
        secret_key=SECRETS["SECRET_KEY"],
        temporal_api_key=SECRETS["TEMPORAL_API_KEY"],
        oidc_client_secret=SECRETS["OIDC_CLIENT_SECRET"],
        smtp_password=SECRETS["SMTP_PASSWORD"],
        temporal_payload_keys=SECRETS["TEMPORAL_PAYLOAD_KEYS"],
        database_url=f"postgresql://gcu:{DB_PASSWORD}@db.example.org/gcu",
    )
    _assert_no_secret(repr(settings) + str(settings), "repr(settings)")


@pytest.mark.skipif(not os.environ.get(POSTGRES_ENV), reason=f"{POSTGRES_ENV} is not set (a URL with a password)")
def test_db_upgrade_does_not_print_the_database_password(tmp_path):
    with fresh_database("postgres", tmp_path) as url:
        done = _cli("db", "upgrade", env=_base_env(tmp_path, _url_with_password(url)))
        assert done.returncode == 0, done.stderr
        _assert_no_secret(done.stdout + done.stderr, "`gcu-review db upgrade` output")


def test_a_failed_database_connection_does_not_print_the_password(tmp_path):
    url = f"postgresql://gcu:{DB_PASSWORD}@127.0.0.1:1/gcu_review"  # nothing listens on port 1
    done = _cli("audit", "verify", env=_base_env(tmp_path, url))
    assert done.returncode != 0
    _assert_no_secret(done.stdout + done.stderr, "`gcu-review audit verify` error output")


def test_the_audit_verify_output_shows_no_secret(tmp_path):
    url = f"sqlite:///{tmp_path / 'gcu.db'}"
    env = _base_env(tmp_path, url)
    from store.db import migrate

    migrate(url)
    done = _cli("audit", "verify", env=env)
    assert done.returncode == 0, done.stderr
    _assert_no_secret(done.stdout + done.stderr, "`gcu-review audit verify` output")


def _run_worker_briefly(env: dict[str, str], seconds: float, until: str | None = None) -> tuple[int, str]:
    """Run `gcu-review worker` for `seconds`, or until it has logged `until` (then a moment more):
    a loaded machine can take far longer than usual to start it."""
    import threading

    process = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "worker"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(process.stdout.readline, "")), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and process.poll() is None:
            if until and any(until in line for line in lines):
                time.sleep(2)
                break
            time.sleep(0.1)
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    reader.join(timeout=10)
    return process.returncode, "".join(lines)


async def test_the_worker_logs_no_secret_while_it_runs(temporal_env, tmp_path):
    from store.db import migrate

    url = f"sqlite:///{tmp_path / 'gcu.db'}"
    migrate(url)
    env = _base_env(tmp_path, url)
    env.pop("TEMPORAL_API_KEY")  # the dev server speaks plain gRPC; an API key would switch on TLS
    env.update(TEMPORAL_ADDRESS=temporal_env.client.service_client.config.target_host, TASK_QUEUE=f"sec-{os.getpid()}")
    _, output = _run_worker_briefly(env, seconds=90, until="worker polling task queue")
    assert "worker polling task queue" in output, output  # it did start and log
    _assert_no_secret(output, "the worker's log")


def test_a_worker_that_cannot_connect_logs_no_api_key(tmp_path):
    from store.db import migrate

    url = f"sqlite:///{tmp_path / 'gcu.db'}"
    migrate(url)  # a worker refuses an unmigrated database before it tries Temporal
    env = _base_env(tmp_path, url)
    env["TEMPORAL_ADDRESS"] = "127.0.0.1:1"
    code, output = _run_worker_briefly(env, seconds=20)
    assert code != 0 and output.strip(), output
    _assert_no_secret(output, "the failing worker's output")
