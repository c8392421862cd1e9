"""The outermost handler of the action server: an action that fails still answers the worker.

Without it an exception becomes an HTTP 500, the worker gets no reply at all, and the Rasa server
logs the whole tracker (the worker's messages) with the error. Here the failure is logged with
its traceback but no message text, and the worker gets `utter_error` (an apology and the hotline).
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk.executor import ActionExecutor, ActionExecutorRunResult, ActionNotFoundException

logger = logging.getLogger(__name__)


class SafeActionExecutor(ActionExecutor):
    async def run(
        self, action_call: dict[str, Any], sink: Any = None, dispatcher: Any = None
    ) -> ActionExecutorRunResult | None:
        try:
            return await super().run(action_call, sink=sink, dispatcher=dispatcher)
        except ActionNotFoundException:
            raise
        except Exception:
            logger.error("action %s failed; the worker gets utter_error",
                         action_call.get("next_action"), exc_info=True)
            # A failing form step also ends the form, so the worker is not stuck in it.
            events: list[dict[str, Any]] = []
            active = ((action_call.get("tracker") or {}).get("active_loop") or {}).get("name")
            if active:
                events = [{"event": "active_loop", "name": None},
                          {"event": "slot", "name": "requested_slot", "value": None}]
            return ActionExecutorRunResult(
                events=events, responses=[{"response": "utter_error"}]
            )
