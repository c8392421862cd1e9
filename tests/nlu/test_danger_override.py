"""DangerOverride through Rasa's component API: which messages become emergencies, and why.

Rasa lives in .venv-rasa (Python 3.10, without pytest) while tests run in .venv, so the source of
`probe` (below, self-contained) is run by .venv-rasa's Python and the test checks what it returns.
The intent and ranking each message arrives with are what the intent classifier would have set.
"""

from __future__ import annotations

import inspect
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"

# text, classifier ranking (name, confidence), best first
CASES: dict[str, tuple[str, list[tuple[str, float]]]] = {
    "phrase": ("chủ giữ hộ chiếu của em", [("ask_question", 0.9), ("emergency", 0.01)]),
    "probability": ("Công ty An Khang", [("inform", 0.8), ("emergency", 0.12)]),
    "weak_top": ("em sợ lắm", [("emergency", 0.4), ("out_of_scope", 0.35)]),
    "sure_top": ("cứu em", [("emergency", 0.97), ("greet", 0.01)]),
    "close_top": ("em sợ quá", [("emergency", 0.51), ("ask_question", 0.47)]),
    "none": ("phí đi Nhật bao nhiêu", [("check_fee", 0.9), ("emergency", 0.02)]),
}


def probe(cases: dict[str, Any], min_probability: float) -> dict[str, Any]:
    """Runs in .venv-rasa: pass each case through DangerOverride, return its intent."""
    from rasa.shared.nlu.training_data.message import Message

    from nlu.components.danger_override import DangerOverride

    component = DangerOverride({**DangerOverride.get_default_config(),
                                "min_probability": min_probability})
    out = {}
    for key, (text, ranking) in cases.items():
        ranked = [{"name": name, "confidence": confidence} for name, confidence in ranking]
        message = Message.build(text=text)
        message.set("intent", ranked[0], add_to_output=True)
        message.set("intent_ranking", ranked, add_to_output=True)
        component.process([message])
        out[key] = {"intent": message.get("intent"),
                    "ranking": [r["name"] for r in message.get("intent_ranking")],
                    "confidences": [r["confidence"] for r in message.get("intent_ranking")]}
    return out


@pytest.fixture(scope="module")
def processed() -> dict[str, Any]:
    if not RASA_PYTHON.exists():
        pytest.skip(".venv-rasa is not installed (make setup)")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false",
           "TF_CPP_MIN_LOG_LEVEL": "2"}
    program = ("from __future__ import annotations\n" + inspect.getsource(probe)
               + "\nimport json, sys\n"
               "print(json.dumps(probe(*json.loads(sys.argv[1]))))\n")
    argv = [str(RASA_PYTHON), "-c", program, json.dumps([CASES, 0.07])]
    proc = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, check=False,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    ("case", "signal"),
    [("phrase", "danger_phrase"), ("probability", "emergency_probability"),
     ("weak_top", "classifier_top"), ("close_top", "classifier_top")],
)
def test_an_overridden_message_says_which_signal_made_it_an_emergency(processed, case, signal):
    intent = processed[case]["intent"]
    assert (intent["name"], intent["confidence"], intent["emergency_signal"]) == (
        "emergency", 0.95, signal)
    assert processed[case]["ranking"][0] == "emergency"
    assert processed[case]["ranking"].count("emergency") == 1


def test_a_sure_classifier_emergency_is_left_as_it_is(processed):
    assert processed["sure_top"]["intent"] == {"name": "emergency", "confidence": 0.97}


def test_no_phrase_and_a_low_probability_is_not_an_emergency(processed):
    assert processed["none"]["intent"] == {"name": "check_fee", "confidence": 0.9}
    assert processed["none"]["ranking"] == ["check_fee", "emergency"]


@pytest.mark.parametrize("case", ["phrase", "probability", "weak_top", "close_top"])
def test_the_other_intents_share_what_the_emergency_leaves(processed, case):
    # A danger message the classifier was sure was a question (0.9) must not stay within the
    # FallbackClassifier's ambiguity margin (0.05) of the emergency's 0.95: that gave nlu_fallback.
    confidences = processed[case]["confidences"]
    assert confidences[0] == 0.95
    assert sum(confidences) == pytest.approx(1.0)
    assert confidences[0] - max(confidences[1:]) >= 0.9 - 1e-9
