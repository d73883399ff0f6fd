"""The health checks that deploy/docker/compose.yml gives each service answer
on the running stack: the same routes, on each process of the e2e stack."""

import httpx

from tests.support import compose_health_checks

# The compose service -> where the e2e stack runs that process.
PROCESSES = {"rasa-1": "rasa_url", "rasa-2": "rasa_url", "actions": "action_url", "webchat": "webchat_url",
             "console": "dossier_url"}  # fmt: skip


def test_every_health_check_of_the_compose_file_answers(stack):
    # The proxy's check (GET / through nginx) is tests/e2e/test_proxy.py's web chat test.
    checks = {name: check for name, check in compose_health_checks().items() if name != "proxy"}
    assert set(checks) == set(PROCESSES)
    for service, (_, path) in checks.items():
        answer = httpx.get(getattr(stack, PROCESSES[service]) + path, timeout=10)
        assert answer.status_code == 200, (service, path, answer.text)


def test_the_health_routes_need_no_token_and_say_nothing_about_data(stack):
    for url in (stack.webchat_url, stack.dossier_url):
        answer = httpx.get(f"{url}/health", timeout=10)
        assert answer.json() == {"status": "ok"}
        assert answer.headers["cache-control"] == "no-store"
