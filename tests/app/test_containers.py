"""The container build files of deploy/docker/: hadolint finds nothing, each image
runs its environment's Python as a non-root user, and the compose file gives
every long-running service a health check, publishes only the proxy and takes
every secret from the environment (tests/e2e/test_health.py calls the checks).
Docker itself is not needed: nothing here builds an image."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.support import COMPOSE_FILE, ROOT, compose_health_checks

DOCKER = ROOT / "deploy" / "docker"
DOCKERFILES = sorted(DOCKER.glob("*.Dockerfile"))
SECRETS = ("POSTGRES_PASSWORD", "TTHC_RASA_TOKEN", "TTHC_ACTION_TOKEN", "TTHC_WEBCHAT_KEY", "TTHC_SECOND_FACTOR_KEY",
           "TTHC_PUSH_SECRETS")  # fmt: skip


def instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments), continuation lines joined, comments dropped."""
    logical = re.sub(r"\\\n\s*", " ", "\n".join(line for line in path.read_text().splitlines()
                                              if not line.lstrip().startswith("#")))  # fmt: skip
    return [(parts[0].upper(), parts[1] if len(parts) > 1 else "") for line in logical.splitlines()
            if (parts := line.strip().split(None, 1))]  # fmt: skip


def services() -> dict[str, dict]:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))["services"]


def test_hadolint_finds_nothing_in_any_dockerfile():
    hadolint = Path(sys.executable).with_name("hadolint")
    result = subprocess.run([str(hadolint), "--config", str(DOCKER / "hadolint.yaml"), *map(str, DOCKERFILES)],
                            capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert {p.name for p in DOCKERFILES} == {"engine.Dockerfile", "app.Dockerfile", "proxy.Dockerfile"}


@pytest.mark.parametrize(("name", "python", "group"), [("engine", "3.10", "engine"), ("app", "3.11", "app")])
def test_each_environment_has_its_python_and_installs_its_group_of_pyproject(name: str, python: str, group: str):
    steps = instructions(DOCKER / f"{name}.Dockerfile")
    final_base = [args for op, args in steps if op == "FROM"][-1]
    assert final_base.startswith(f"python:{python}-")
    assert any(f"scripts/requirements.py {group}" in args for op, args in steps if op == "RUN")


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_every_image_runs_as_a_numeric_user_that_is_not_root_and_checks_its_health(dockerfile: Path):
    steps = instructions(dockerfile)
    user = [args for op, args in steps if op == "USER"][-1]
    assert re.fullmatch(r"\d+(:\d+)?", user) and not user.startswith("0")
    assert any(op == "HEALTHCHECK" for op, _ in steps)


def test_every_long_running_service_has_a_health_check():
    for name, service in services().items():
        if service.get("restart") == "no":  # the one-shot set-up
            continue
        assert service.get("healthcheck", {}).get("test"), name
    assert set(compose_health_checks()) == {"rasa-1", "rasa-2", "actions", "webchat", "console", "proxy"}


def test_only_the_proxy_publishes_a_port():
    assert [name for name, service in services().items() if service.get("ports")] == ["proxy"]


def test_secrets_are_required_from_the_environment_never_defaulted():
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    for secret in SECRETS:
        assert f"${{{secret}:?" in text, secret
        assert f"${{{secret}:-" not in text and f"${{{secret}}}" not in text, secret


def test_the_images_the_compose_file_builds_exist():
    for name, service in services().items():
        build = service.get("build")
        if build:
            assert (COMPOSE_FILE.parent / build["context"] / build["dockerfile"]).is_file(), name


def test_the_proxy_config_balances_every_rasa_service_where_the_others_call_rasa(tmp_path: Path):
    from deploy.docker.proxy_config import container_upstreams
    from deploy.nginx import write

    config = write(tmp_path, *container_upstreams())
    text = config.read_text() + (tmp_path / "internal" / "balancers.conf").read_text()
    for name, service in services().items():
        if service.get("image") == "tthc-engine":
            assert f"server {name}:5005 " in text, name
    environment = services()["webchat"]["environment"]
    assert environment["TTHC_RASA_URL"] == "http://proxy:5005" and "listen 5005;" in text
    assert environment["TTHC_ACTION_URL"] == "http://proxy:5055/webhook" and "listen 5055;" in text
    assert "listen 8080;" in text and services()["proxy"]["ports"] == ["${TTHC_PUBLIC_PORT:-8080}:8080"]
