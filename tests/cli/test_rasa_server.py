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


# A diamond-shaped graph run by Rasa's DaskGraphRunner before and after installing the sequential
# runner: the same outputs, the same order of node calls, the same error from a failing node.
RUNNER_PROBE = """
import json, tempfile
from pathlib import Path
from rasa.engine.graph import ExecutionContext, GraphComponent, GraphSchema, SchemaNode
from rasa.engine.runner import dask as rasa_dask
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.local_model_storage import LocalModelStorage

calls = []
dask_runs = []
dask_get = rasa_dask.dask.get
rasa_dask.dask.get = lambda *a, **k: (dask_runs.append(1), dask_get(*a, **k))[1]

class Step(GraphComponent):
    def __init__(self, name):
        self.name = name

    @classmethod
    def create(cls, config, model_storage, resource, execution_context):
        return cls(config["name"])

    def split(self, text):
        calls.append(self.name)
        if text == "boom":
            raise ValueError("a node failed")
        return text.split()

    def upper(self, tokens):
        calls.append(self.name)
        return [t.upper() for t in tokens]

    def count(self, tokens):
        calls.append(self.name)
        return len(tokens)

    def join(self, words, count):
        calls.append(self.name)
        return {"words": words, "count": count}

def node(fn, needs, target=False):
    return SchemaNode(needs=needs, uses=Step, constructor_name="create", fn=fn,
                      config={"name": fn}, is_target=target)

schema = GraphSchema({
    "split": node("split", {"text": "__text__"}),
    "upper": node("upper", {"tokens": "split"}),
    "count": node("count", {"tokens": "split"}),
    "join": node("join", {"words": "upper", "count": "count"}, target=True),
})
runner = DaskGraphRunner(schema, LocalModelStorage(Path(tempfile.mkdtemp())),
                         ExecutionContext(schema, "probe"))

def runs():
    dask_runs.clear()
    out = []
    for text in ["xin chao ban", "hello", "", "boom"]:
        calls.clear()
        try:
            result = runner.run(inputs={"__text__": text}, targets=["join"])
        except Exception as exc:
            result = {"error": type(exc).__name__, "cause": repr(exc.__cause__)}
        out.append({"result": result, "calls": list(calls)})
    return {"runs": out, "through_dask": len(dask_runs)}

before = runs()
from cli.rasa_server import install_sequential_graph_runner
install_sequential_graph_runner()
install_sequential_graph_runner()
first, second = runs(), runs()
print(json.dumps({"before": before, "first": first, "second": second}))
"""


@pytest.fixture(scope="module")
def runner_probe() -> dict:
    env = {**StackSettings.from_env().env(), "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([str(RASA_PYTHON), "-c", RUNNER_PROBE], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_sequential_runner_gives_dasks_outputs_in_dasks_order(runner_probe: dict) -> None:
    before = runner_probe["before"]["runs"]
    assert before[0]["result"] == {"join": {"words": ["XIN", "CHAO", "BAN"], "count": 3}}
    # the first run after installing records dask's order, the next ones replay it
    assert runner_probe["first"]["runs"] == before
    assert runner_probe["second"]["runs"] == before
    # dask ran every graph before; after, only the first run of these targets and inputs
    assert runner_probe["before"]["through_dask"] == 4
    assert runner_probe["first"]["through_dask"] == 1
    assert runner_probe["second"]["through_dask"] == 0


def test_sequential_runner_raises_what_dask_raised(runner_probe: dict) -> None:
    failed = runner_probe["second"]["runs"][-1]
    assert failed == runner_probe["before"]["runs"][-1]
    assert failed["calls"] == ["split"]
    assert "a node failed" in failed["result"]["cause"]
