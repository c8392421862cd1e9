from decimal import Decimal

from rasa_sdk import Tracker

from actions.fee_render import fee_input


def tracker(slots: dict) -> Tracker:
    return Tracker("api:x", slots, {"text": "170"}, [], False, None, None, "")


def test_the_one_rate_asked_for_applies_to_the_first_currency_only():
    slots = {"fee_country": "JP", "fee_months": 36.0, "fee_salary": "180000 JPY",
             "fee_service_fee": "3000 USD", "fee_rate": "170"}
    assert fee_input(tracker(slots)).rates == {"JPY": Decimal("170")}


def test_same_currency_needs_no_rate():
    slots = {"fee_country": "JP", "fee_months": 36.0, "fee_salary": "180000 JPY",
             "fee_service_fee": "500000 JPY", "fee_rate": None}
    assert fee_input(tracker(slots)).rates == {}
