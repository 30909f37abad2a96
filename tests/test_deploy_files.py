"""The deploy files (deploy/): they cannot run here, so their syntax and their commands are
checked: the compose file parses and wires three bot processes to PostgreSQL, Redis and a
proxy; the systemd units pass `systemd-analyze verify` (where it exists); and every
`buurbot` command in them is one the real command line accepts."""

from __future__ import annotations

import configparser
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from bot.cli import build_parser
from bot.core.config import Settings

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"


def accepted(argv: list[str]) -> None:
    """`buurbot <argv>` parses (argparse exits on an unknown option or a bad value)."""
    assert argv[0] == "buurbot", argv
    build_parser().parse_args(argv[1:])


def test_compose_runs_three_bots_behind_a_proxy_on_postgresql_and_redis() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"postgres", "redis", "migrate", "bot", "proxy"}
    bot = services["bot"]
    assert bot["deploy"]["replicas"] == 3
    assert bot["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert bot["depends_on"]["redis"]["condition"] == "service_healthy"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("bot", "migrate"):
        env = services[name]["environment"]
        assert env["BUURBOT_DATABASE_URL"].startswith("postgresql+asyncpg://")
        assert env["BUURBOT_REDIS_URL"].startswith("redis://redis:")
        assert (DEPLOY / services[name]["build"]["dockerfile"].removeprefix("deploy/")).exists()
    accepted(services["migrate"]["command"])
    run = shlex.split(bot["command"][-1].replace("$${", "${"))
    assert run[0] == "exec"
    accepted(run[1:])
    assert "--webhook" in run and run[run.index("--port") + 1] == "8080"
    assert "bot:8080" in services["proxy"]["command"][-1]
    assert set(compose["volumes"]) == {"postgres", "caddy"}


def test_the_example_settings_are_settings_buurbot_knows() -> None:
    known = {f"BUURBOT_{name.upper()}" for name in Settings.model_fields}
    # Read by the deploy files themselves (the public address and the webhook's secret).
    known |= {"BUURBOT_DOMAIN", "BUURBOT_PUBLIC_URL", "BUURBOT_WEBHOOK_SECRET"}
    lines = (DEPLOY / "buurbot.env.example").read_text().splitlines()
    names = {line.split("=", 1)[0] for line in lines if line and not line.startswith("#")}
    assert "BUURBOT_TELEGRAM_TOKEN" in names and "BUURBOT_REDIS_URL" in names
    assert names <= known, names - known


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys keep their case
    parser.read_string((DEPLOY / name).read_text())
    return parser


def test_systemd_units_run_the_commands_buurbot_accepts() -> None:
    service = unit("buurbot@.service")
    assert set(service.sections()) == {"Unit", "Service", "Install"}
    start = shlex.split(service["Service"]["ExecStart"].replace("%i", "8081"))
    assert start[0].endswith("/buurbot")
    accepted(["buurbot", *start[1:]])
    assert "buurbot-migrate.service" in service["Unit"]["Requires"]
    assert service["Service"]["KillSignal"] == "SIGTERM"
    migrate = unit("buurbot-migrate.service")
    assert migrate["Service"]["Type"] == "oneshot"
    accepted(["buurbot", *shlex.split(migrate["Service"]["ExecStart"])[1:]])


def test_systemd_analyze_verifies_the_units(tmp_path: Path) -> None:
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed; the units were parsed above")
    # The program and the settings file exist only once installed: stand-ins for both.
    for source in DEPLOY.glob("*.service"):
        text = source.read_text().replace("/opt/buurbot/.venv/bin/buurbot", "/bin/true")
        text = text.replace("EnvironmentFile=/etc/buurbot/", "EnvironmentFile=-/etc/buurbot/")
        name = source.name.replace("@.service", "@8081.service")
        (tmp_path / name).write_text(text)
    result = subprocess.run(
        ["systemd-analyze", "verify", *(str(p) for p in sorted(tmp_path.glob("*.service")))],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr
