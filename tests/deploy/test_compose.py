"""docker-compose.yml is valid, refuses to start without its secrets, and has the production shape
(health-gated start order, no published database port, two workers). Only `docker-compose config`
runs here: no Docker engine, no image is built.

CI installs the binary when missing (Debian package docker-compose, see .ci/run)."""

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = PROJECT_ROOT / "docker-compose.yml"
SECRETS = (
    "POSTGRES_PASSWORD",
    "GCU_OWNER_DB_PASSWORD",
    "GCU_APP_DB_PASSWORD",
    "TEMPORAL_DB_PASSWORD",
    "SECRET_KEY",
    "TEMPORAL_PAYLOAD_KEYS",
)
DUMMY = {name: f"dummy-{name.lower().replace('_', '-')}" for name in SECRETS}
LONG_RUNNING = ("postgres", "temporal", "temporal-ui", "worker", "web")

docker_compose = shutil.which("docker-compose")
needs_compose = pytest.mark.skipif(
    docker_compose is None,
    reason="docker-compose is not installed (apt-get install docker-compose; .ci/run installs it)",
)


def compose(*args: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    # An empty env file and a clean environment: neither a developer's .env nor the CI's variables
    # may supply a secret the test means to leave out. (docker-compose 1.x refuses /dev/null as
    # --env-file: "is not a file".)
    empty = tmp_path / "empty.env"
    empty.write_text("")
    return subprocess.run(
        [
            docker_compose,
            "-f",
            str(COMPOSE_FILE),
            "--project-directory",
            str(PROJECT_ROOT),
            "--env-file",
            str(empty),
            *args,
        ],
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture(scope="module")
def config(tmp_path_factory) -> dict:
    done = compose("config", env=DUMMY, tmp_path=tmp_path_factory.mktemp("compose"))
    assert done.returncode == 0, done.stderr
    return yaml.safe_load(done.stdout)


@needs_compose
def test_the_compose_file_is_valid_with_every_secret_set(tmp_path):
    done = compose("config", "-q", env=DUMMY, tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr


@needs_compose
@pytest.mark.parametrize("missing", SECRETS)
def test_a_missing_secret_stops_compose_and_is_named(missing, tmp_path):
    env = {k: v for k, v in DUMMY.items() if k != missing}
    done = compose("config", "-q", env=env, tmp_path=tmp_path)
    assert done.returncode != 0
    assert f"set {missing}" in done.stderr, done.stderr


@needs_compose
def test_no_secret_at_all_fails_with_a_message(tmp_path):
    done = compose("config", "-q", env={}, tmp_path=tmp_path)
    assert done.returncode != 0
    assert "see deploy/.env.example" in done.stderr


@needs_compose
def test_secrets_reach_the_services_only_from_the_environment(config):
    rendered = yaml.safe_dump(config)
    # Every secret value in the rendered file is one we passed in: none is written in the file.
    assert "dummy-secret-key" in config["services"]["web"]["environment"]["SECRET_KEY"]
    assert config["services"]["worker"]["environment"]["DATABASE_URL"] == (
        "postgresql+psycopg://gcu_app:dummy-gcu-app-db-password@postgres:5432/gcu_review"
    )
    assert config["services"]["migrate"]["environment"]["DATABASE_URL"].startswith(
        "postgresql+psycopg://gcu_owner:dummy-gcu-owner-db-password@"
    )
    source = COMPOSE_FILE.read_text()
    for line in source.splitlines():
        if line.strip().startswith("#"):
            continue
        key, _, value = line.strip().partition(":")
        if any(word in key.upper() for word in ("PASSWORD", "PWD", "SECRET")) and value.strip():
            assert value.strip().startswith("${"), f"hard-coded secret in docker-compose.yml: {line.strip()}"
    assert "production" in rendered


@needs_compose
def test_the_databases_and_temporal_publish_no_port(config):
    services = config["services"]
    for name in ("postgres", "temporal", "worker", "migrate", "temporal-schema", "temporal-namespace"):
        assert not services[name].get("ports"), f"{name} publishes a port"
    # The published ones listen on loopback unless the operator says otherwise.
    for name in ("web", "temporal-ui"):
        (port,) = services[name]["ports"]  # docker-compose 1.x renders "host_ip:published:target/proto"
        assert str(port).startswith("127.0.0.1:"), port
    assert config["networks"]["backend"].get("internal") is True
    assert services["postgres"]["networks"] == {"backend": None}
    assert services["temporal"]["networks"] == {"backend": None}


@needs_compose
def test_long_running_services_have_health_checks(config):
    for name in LONG_RUNNING:
        assert config["services"][name].get("healthcheck", {}).get("test"), f"{name} has no health check"


@needs_compose
def test_start_order_waits_for_health_and_finished_jobs(config):
    services = config["services"]

    def waits(name: str) -> dict[str, str]:
        return {dep: spec["condition"] for dep, spec in services[name]["depends_on"].items()}

    assert waits("temporal-schema") == {"postgres": "service_healthy"}
    assert waits("temporal") == {"temporal-schema": "service_completed_successfully"}
    assert waits("temporal-namespace") == {"temporal": "service_healthy"}
    assert waits("migrate") == {"postgres": "service_healthy"}
    for app in ("worker", "web"):
        assert waits(app) == {
            "migrate": "service_completed_successfully",
            "temporal-namespace": "service_completed_successfully",
        }
    assert waits("temporal-ui") == {"temporal": "service_healthy"}


@needs_compose
def test_the_app_services_run_the_right_commands(config):
    services = config["services"]
    assert services["migrate"]["command"] == ["gcu-review", "db", "upgrade"]
    assert services["worker"]["command"] == ["gcu-review", "worker"]
    assert services["worker"]["deploy"]["replicas"] == 2
    assert services["web"]["command"] == ["gcu-review", "web", "--host", "0.0.0.0", "--port", "8000"]
    assert services["temporal"]["image"].startswith("temporalio/server:")
    assert services["temporal-schema"]["image"].startswith("temporalio/admin-tools:")
    assert services["temporal-ui"]["image"].startswith("temporalio/ui:")
    for app in ("migrate", "worker", "web"):
        assert services[app]["environment"]["ENVIRONMENT"] == "production"
    assert "pgdata" in config["volumes"]
    assert any(str(v).startswith("pgdata:/var/lib/postgresql/data") for v in services["postgres"]["volumes"])


@needs_compose
def test_the_operator_jobs_stay_out_of_a_plain_up(config):
    for name in ("backup", "retention"):
        assert config["services"][name]["profiles"] == ["ops"]
    assert config["services"]["retention"]["command"] == ["gcu-review", "retention", "purge"]


def test_the_mounted_deploy_files_exist():
    text = COMPOSE_FILE.read_text()
    for relative in (
        "deploy/postgres/init-roles.sh",
        "deploy/temporal/setup-schema.sh",
        "deploy/temporal/setup-namespace.sh",
        "deploy/temporal/dynamicconfig.yaml",
        "deploy/backup.sh",
    ):
        assert f"./{relative}:" in text
        assert (PROJECT_ROOT / relative).is_file(), relative
    yaml.safe_load((PROJECT_ROOT / "deploy/temporal/dynamicconfig.yaml").read_text())


@pytest.mark.parametrize("script", sorted(p.name for p in (PROJECT_ROOT / "deploy").rglob("*.sh")))
def test_deploy_shell_scripts_parse(script):
    (path,) = (PROJECT_ROOT / "deploy").rglob(script)
    done = subprocess.run(["sh", "-n", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_the_env_example_lists_every_secret_empty():
    example = (PROJECT_ROOT / "deploy/.env.example").read_text()
    values = dict(line.split("=", 1) for line in example.splitlines() if line and not line.startswith("#"))
    for name in SECRETS:
        assert values.get(name) == "", f"{name} must be listed, and empty, in deploy/.env.example"


def test_the_image_gets_every_package_the_project_installs():
    """A package added to pyproject.toml must be copied by the Dockerfile and let through
    .dockerignore, or the image is built without it."""
    import tomllib

    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    packages = [p.rstrip("*") for p in project["tool"]["setuptools"]["packages"]["find"]["include"]]
    modules = project["tool"]["setuptools"].get("py-modules", [])
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text()
    ignore = (PROJECT_ROOT / ".dockerignore").read_text().split()
    for package in packages:
        assert f"COPY {package} {package}" in dockerfile, f"Dockerfile does not copy {package}/"
        assert f"!{package}/" in ignore, f".dockerignore keeps out {package}/"
    for module in modules:
        assert f"{module}.py" in dockerfile and f"!{module}.py" in ignore, module
    assert "USER gcu" in dockerfile and "FROM python:3.11-slim" in dockerfile
    assert "COPY . " not in dockerfile


# Settings the app services do not take from the operator's .env: fixed by the compose file's
# command line (web host and port) or by the image (var_dir); the per-service knobs are set below.
NOT_FROM_ENV = {"VAR_DIR", "WEB_HOST", "WEB_PORT"}
PER_SERVICE = {"worker": {"PRECHECK_PROCESSES"}, "web": {"WEB_WORKERS"}}


def _setting_names() -> set[str]:
    from settings import Settings

    return {name.upper() for name in Settings.model_fields} - NOT_FROM_ENV


@needs_compose
def test_every_setting_reaches_the_worker_and_the_web_app(config):
    """AUDIT_HMAC_KEYS, TEMPORAL_API_KEY, the TLS files, mail, sign-in limits...: a setting that
    docker-compose does not pass can only have its default in production."""
    for service in ("worker", "web"):
        environment = config["services"][service]["environment"]
        missing = sorted((_setting_names() - {n for s in PER_SERVICE.values() for n in s}) - set(environment))
        assert not missing, f"{service} does not get {missing}"
        assert PER_SERVICE[service] <= set(environment)


@needs_compose
def test_the_rendered_environment_starts_the_application(tmp_path, monkeypatch):
    """Every optional setting left empty in .env means its default, and the production checks pass
    with real secrets: the rendered environment is one the application accepts."""
    import secrets

    from settings import Settings

    strong = {
        **DUMMY,
        "SECRET_KEY": secrets.token_urlsafe(48),
        "TEMPORAL_PAYLOAD_KEYS": "prod-test:" + "A" * 43 + "=",
        "AUDIT_HMAC_KEYS": "a1:" + secrets.token_urlsafe(48),
        "TRUSTED_PROXIES": '["10.0.0.0/8"]',
    }
    done = compose("config", env=strong, tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    for service in ("worker", "web"):
        environment = yaml.safe_load(done.stdout)["services"][service]["environment"]
        for name in _setting_names():
            monkeypatch.delenv(name, raising=False)
        for name, value in environment.items():
            monkeypatch.setenv(name, "" if value is None else str(value))
        settings = Settings(_env_file=None)
        assert settings.environment == "production"
        assert settings.audit_hmac_keys.get_secret_value() == strong["AUDIT_HMAC_KEYS"]
        assert settings.codec_cors_origins == ["http://127.0.0.1:8233"]
        assert settings.app_base_url == "http://127.0.0.1:8000"
        assert settings.temporal_tls_cert is None and settings.temporal_api_key is None
        assert settings.session_cookie_secure is None and settings.review_holidays == []
        assert settings.trusted_proxies == ["10.0.0.0/8"] and settings.office_time_zone == "UTC"
