"""The action server can register our package, and every custom action of the domain is in it."""

from pathlib import Path

import yaml
from rasa_sdk.executor import ActionExecutor

DOMAIN = Path(__file__).resolve().parents[2] / "domain.yml"


def test_every_domain_action_is_registered():
    executor = ActionExecutor()
    executor.register_package("actions")  # raises if an Action subclass cannot be registered
    declared = set(yaml.safe_load(DOMAIN.read_text(encoding="utf-8"))["actions"])
    assert declared - set(executor.actions) == set()
