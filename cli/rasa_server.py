"""Start the Rasa server (`rasa run ...`) with its action-response check compiled once.

Rasa 3.6 checks every response of the action server with `jsonschema.validate(result, schema)`,
which first re-validates Rasa's own schema against the JSON Schema meta-schema, on every call.
Under 20 concurrent users that was about 46 % of the Rasa process's CPU time (py-spy; ~16 ms per
action call, often two calls per message; see docs/benchmarks.md, "Time per message"). The schema
is a constant of Rasa, and jsonschema's own documentation says to use a validator object when
validating many instances against one known-good schema. The check itself is unchanged: a response
that fails it goes through Rasa's original code, which raises the same error with the same message.

Rasa also opens a new aiohttp session (so a new TCP connection) for every call to the action
server, often 2-4 per message; `install_shared_action_session` keeps one session per event loop
and credentials instead, so calls reuse kept-alive connections (the action server's Sanic keeps them
120 s; aiohttp closes idle ones after 15 s, first).

Rasa also hands each of its two graphs per message (NLU, policies) to dask, which re-plans it every
time; `install_sequential_graph_runner` replays the order dask chose the first time instead.

Runs in .venv-rasa (Python 3.10): it may import only the standard library and what Rasa brings.
Usage (what cli/stack.py starts): .venv-rasa/bin/python -m cli.rasa_server run --enable-api ...
"""

from __future__ import annotations

import sys
from typing import Any


def install_compiled_response_check() -> None:
    """Replace RemoteAction._validate_action_result by one that uses a compiled validator."""
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    original = RemoteAction._validate_action_result
    if getattr(original, "compiled_check", False):
        return
    compiled: dict[type, Any] = {}

    def _validate_action_result(self: Any, result: dict[str, Any]) -> bool:
        validator = compiled.get(type(self))
        if validator is None:
            schema = self.action_response_format_spec()
            cls = validator_for(schema)
            cls.check_schema(schema)  # once per action class, as jsonschema.validate would
            validator = compiled[type(self)] = cls(schema)
        if validator.is_valid(result):
            return True
        return original(self, result)  # raises Rasa's ValidationError and message

    _validate_action_result.compiled_check = True  # type: ignore[attr-defined]
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]


class _Borrowed:
    """`async with` on a shared session: hands it out and leaves it open afterwards."""

    def __init__(self, session: Any) -> None:
        self.session = session

    async def __aenter__(self) -> Any:
        return self.session

    async def __aexit__(self, *exc: object) -> bool:
        return False


def install_shared_action_session() -> None:
    """Make EndpointConfig.session() hand out one open session per event loop and credentials."""
    import asyncio

    from rasa.utils.endpoints import EndpointConfig

    original = EndpointConfig.session
    if getattr(original, "shared_session", False):
        return
    sessions: dict[tuple[Any, ...], Any] = {}

    def session(self: Any) -> Any:
        # What a session carries (headers, auth) is the key: the URL is given per request.
        key = (id(asyncio.get_running_loop()), repr(sorted(self.headers.items())),
               repr(sorted(self.basic_auth.items())))
        shared = sessions.get(key)
        if shared is None or shared.closed:
            shared = sessions[key] = original(self)
        return _Borrowed(shared)

    session.shared_session = True  # type: ignore[attr-defined]
    EndpointConfig.session = session  # type: ignore[method-assign]


def install_sequential_graph_runner() -> None:
    """Make DaskGraphRunner.run replay dask's own order of the nodes instead of calling dask.

    For every message Rasa runs two graphs (NLU, then the policies), and DaskGraphRunner rebuilds
    the minimal schema and a dask graph and lets dask order and schedule it each time: about 10 %
    of the Rasa process's CPU under 20 users (py-spy: bench/results/rasa_profile_s5_before.md).
    The first run of each (targets, inputs) goes through dask unchanged, recording the order in
    which dask called the nodes; later runs call the same nodes, with the same arguments (each
    node's (name, output) of its needs, or the need's name when nothing provides it, as dask
    does), in that recorded order. Errors are raised as before.
    """
    from rasa.engine.exceptions import GraphRunError
    from rasa.engine.runner.dask import DaskGraphRunner

    original = DaskGraphRunner.run
    if getattr(original, "sequential", False):
        return

    def run(self: Any, inputs: dict[str, Any] | None = None,
            targets: list[str] | None = None) -> dict[str, Any]:
        inputs = inputs or {}
        run_targets = targets if targets else self._graph_schema.target_names
        key = (tuple(run_targets), tuple(sorted(inputs)))
        plan = self.__dict__.setdefault("_sequential_plans", {}).get(key)
        if plan is None or any(isinstance(v, str) and v in self._graph_schema.nodes
                               for v in inputs.values()):  # dask's path raises the clash error
            return _record(self, inputs, targets, run_targets, key)
        values: dict[str, Any] = {name: (name, value) for name, value in inputs.items()}
        try:
            for name, node, needs in plan:
                values[name] = node(*(values.get(need, need) for need in needs))
        except RuntimeError as e:
            raise GraphRunError("Error running runner.") from e
        return dict(values[target] for target in run_targets)

    def _record(self: Any, inputs: dict[str, Any], targets: list[str] | None,
                run_targets: list[str], key: tuple[Any, ...]) -> dict[str, Any]:
        schema = self._graph_schema.minimal_graph_schema(run_targets)
        nodes, called = self._instantiated_nodes, []
        saved = dict(nodes)

        def recording(name: str, node: Any) -> Any:
            def call(*args: Any) -> Any:
                called.append(name)
                return node(*args)
            return call

        try:
            for name in schema.nodes:
                nodes[name] = recording(name, saved[name])
            result = original(self, inputs, targets)
        finally:
            nodes.update(saved)
        if sorted(called) == sorted(schema.nodes):
            needs = {name: list(node.needs.values()) for name, node in schema.nodes.items()}
            self._sequential_plans[key] = [(name, saved[name], needs[name]) for name in called]
        return result

    run.sequential = True  # type: ignore[attr-defined]
    DaskGraphRunner.run = run  # type: ignore[method-assign]


def main(argv: list[str] | None = None) -> int:
    """`rasa <argv>` with the compiled check installed (the same entry point as the `rasa`
    script of .venv-rasa)."""
    install_compiled_response_check()
    install_shared_action_session()
    install_sequential_graph_runner()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *(sys.argv[1:] if argv is None else argv)]
    rasa_main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
