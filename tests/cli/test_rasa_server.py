"""cli/rasa_server.py runs inside .venv-rasa (Rasa 3.6), so these tests drive that interpreter."""

from __future__ import annotations

import json
import subprocess

import pytest

from cli.stack import ROOT, StackSettings

RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"

# Counts how often jsonschema re-checks Rasa's schema, then validates responses through Rasa's
# own RemoteAction, before and after installing the compiled check.
PROBE = """
import json
from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction

schema_checks = []
cls = validator_for(RemoteAction.action_response_format_spec())
original_check = cls.check_schema.__func__
cls.check_schema = classmethod(lambda c, s, *a, **k: (schema_checks.append(1),
                                                       original_check(c, s, *a, **k))[1])
action = RemoteAction("action_answer_question", None)
good = {"events": [{"event": "slot", "name": "kb_id", "value": "fees.deposit"}],
        "responses": [{"response": "utter_kb_answer", "custom": {"hanhtrang": {"kb_id": "x"}}}]}
bad = {"events": "not a list", "responses": []}

def run(times):
    schema_checks.clear()
    ok = all(action._validate_action_result(good) for _ in range(times))
    try:
        action._validate_action_result(bad)
        error = None
    except ValidationError as exc:
        error = exc.message
    return {"ok": ok, "schema_checks": len(schema_checks), "error": error}

before = run(3)
from cli.rasa_server import install_compiled_response_check
install_compiled_response_check()
install_compiled_response_check()
after = run(50)
print(json.dumps({"before": before, "after": after}))
"""


@pytest.fixture(scope="module")
def probe() -> dict:
    if not RASA_PYTHON.exists():
        pytest.fail("the Rasa environment is missing: run `make setup`")
    env = {**StackSettings.from_env().env(), "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([str(RASA_PYTHON), "-c", PROBE], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_rasa_alone_rechecks_its_schema_on_every_response(probe: dict) -> None:
    # 3 good responses + 1 bad one: the cost the launcher removes.
    assert probe["before"]["schema_checks"] == 4


def test_compiled_check_checks_the_schema_once_and_accepts_good_responses(probe: dict) -> None:
    after = probe["after"]
    assert after["ok"] is True
    # once when the validator is compiled, once more in Rasa's own code for the bad response
    assert after["schema_checks"] == 2


def test_a_bad_response_still_fails_with_rasas_message(probe: dict) -> None:
    assert probe["after"]["error"] == probe["before"]["error"]
    assert "Failed to validate Action server response" in probe["after"]["error"]


def test_the_stack_starts_rasa_through_the_launcher() -> None:
    argv = StackSettings.from_env().commands()["rasa"]
    assert argv[:3] == [str(RASA_PYTHON), "-m", "cli.rasa_server"]
    assert argv[3:5] == ["run", "--enable-api"]


# Five action calls through Rasa's EndpointConfig against a local aiohttp server that records the
# client port of each request: one port per call before, one kept-alive connection after.
SESSION_PROBE = """
import asyncio, json
from aiohttp import web
from rasa.utils.endpoints import EndpointConfig

ports = []

async def webhook(request):
    ports.append(request.transport.get_extra_info("peername")[1])
    return web.json_response({"events": [], "responses": []})

async def calls(endpoint, times):
    ports.clear()
    results = [await endpoint.request(json={"next_action": "x"}) for _ in range(times)]
    return {"ok": all(r == {"events": [], "responses": []} for r in results),
            "connections": len(set(ports))}

async def main():
    app = web.Application()
    app.router.add_post("/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    endpoint = EndpointConfig(url=f"http://127.0.0.1:{port}/webhook", token="t")
    before = await calls(endpoint, 5)
    from cli.rasa_server import install_shared_action_session
    install_shared_action_session()
    install_shared_action_session()
    after = await calls(endpoint, 5)
    other = await calls(EndpointConfig(url=f"http://127.0.0.1:{port}/webhook"), 2)
    await runner.cleanup()
    print(json.dumps({"before": before, "after": after, "other": other}))

asyncio.run(main())
"""


def test_action_calls_reuse_one_connection_with_the_shared_session() -> None:
    env = {**StackSettings.from_env().env(), "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([str(RASA_PYTHON), "-c", SESSION_PROBE], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["before"] == {"ok": True, "connections": 5}
    assert result["after"] == {"ok": True, "connections": 1}
    assert result["other"]["ok"] is True
