from rasa_sdk import Tracker

from actions.identity import sender_of


def tracker(sender_id: str, metadata: dict) -> Tracker:
    return Tracker(sender_id, {}, {"text": "x", "metadata": metadata}, [], False, None, None, "")


def test_channel_user_and_event_id_from_sender_and_metadata():
    sender = sender_of(tracker("telegram:42", {"message_id": 7}))
    assert (sender.channel, sender.user_id, sender.event_id) == ("telegram", "42", "telegram:42:7")


def test_unknown_channels_are_api_and_no_message_id_means_no_event_id():
    sender = sender_of(tracker("someone", {}))
    assert (sender.channel, sender.user_id, sender.event_id) == ("api", "someone", None)
