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


def test_without_an_amount_the_worker_is_told_the_cap(monkeypatch, tmp_path):
    from rasa_sdk.executor import CollectingDispatcher

    from actions.context import Context, get_context, set_context
    from actions.fee_render import render_fee_result
    from actions.settings import ActionSettings

    previous = get_context()
    set_context(Context(ActionSettings(tmp_path / "db.sqlite", tmp_path / "models", "127.0.0.1",
                                       0, None)))
    try:
        slots = {"fee_country": "JP", "fee_months": 36.0, "fee_salary": "20000000 VND",
                 "fee_service_fee": "skip", "fee_rate": None}
        dispatcher = CollectingDispatcher()
        render_fee_result(dispatcher, tracker(slots), "vi")
    finally:
        set_context(previous)
    shown = [m for m in dispatcher.messages if m.get("response")]
    assert [m["response"] for m in shown] == ["utter_fee_cap_only"]
    assert (shown[0]["cap"], shown[0]["months"], shown[0]["salary"]) == \
        ("60.000.000 đồng", "36", "20.000.000 đồng")


def test_a_fee_in_months_of_wage_is_judged_in_the_wage_currency():
    slots = {"fee_country": "JP", "fee_months": 24.0, "fee_salary": "180000 JPY",
             "fee_service_fee": "3 SALARY", "fee_rate": None}
    inp = fee_input(tracker(slots))
    assert (inp.service_fee, inp.fee_currency, inp.rates) == (Decimal(540000), "JPY", {})
