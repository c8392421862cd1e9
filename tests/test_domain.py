"""domain.yml: the replies a missed emergency most often lands on still give the way out."""

from pathlib import Path

import pytest
import yaml

DOMAIN = Path(__file__).resolve().parents[1] / "domain.yml"
HOTLINE = "+84 981 84 84 84"


def responses() -> dict:
    return yaml.safe_load(DOMAIN.read_text(encoding="utf-8"))["responses"]


@pytest.mark.parametrize(
    "name", ["utter_help", "utter_out_of_scope", "utter_goodbye", "utter_emergency_reminder"])
def test_the_hotline_is_in_every_language_variant(name):
    variants = responses()[name]
    assert len(variants) == 2  # English (conditioned) and Vietnamese
    assert all(HOTLINE in v["text"] for v in variants)


def test_the_help_menu_has_a_one_tap_emergency_in_both_languages():
    for variant in responses()["utter_help"]:
        assert "/emergency" in [b["payload"] for b in variant["buttons"]]
