"""Frames and the stream's helpers, without a server."""

import datetime as dt

import pytest

from hippo_sdk import (
    Error,
    InvalidFrame,
    MessageCreated,
    Receipt,
    SessionEnded,
    parse_frame,
)
from hippo_sdk.stream import HippoStream, _stream_url

MESSAGE = {
    "id": "m1",
    "conversation_id": "c1",
    "seq": 7,
    "sender_id": "u1",
    "body": "hello",
    "priority": "normal",
    "attachments": [],
    "created_at": "2026-01-01T00:00:00.000Z",
    "edited_at": None,
    "deleted": False,
    "client_id": None,
    "channel": "hippo",
    "channel_status": None,
}


def test_message_created_carries_the_rest_model():
    frame = parse_frame({"type": "message.created", "message": MESSAGE})
    assert isinstance(frame, MessageCreated)
    assert frame.message.seq == 7 and frame.message.conversation_id == "c1"
    assert frame.message.created_at == dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def test_receipt_times_are_datetimes():
    frame = parse_frame(
        {
            "type": "receipt",
            "conversation_id": "c1",
            "message_id": "m1",
            "user_id": "u2",
            "up_to_seq": 7,
            "delivered_at": "2026-01-01T00:00:01Z",
            "read_at": None,
        }
    )
    assert isinstance(frame, Receipt)
    assert frame.delivered_at == dt.datetime(2026, 1, 1, 0, 0, 1, tzinfo=dt.UTC)
    assert frame.read_at is None and frame.up_to_seq == 7


def test_error_and_session_ended():
    assert parse_frame({"type": "error", "code": "validation_failed", "detail": None}) == Error(
        code="validation_failed", detail=None
    )
    assert parse_frame({"type": "session.ended", "reason": "revoked"}) == SessionEnded(reason="revoked")
    with pytest.raises(InvalidFrame):
        parse_frame({"type": "session.ended", "reason": "bored"})


def test_unknown_types_pass_through_as_dicts():
    raw = {"type": "something.new", "x": 1}
    assert parse_frame(raw) == raw


def test_malformed_known_frames_are_refused():
    with pytest.raises(InvalidFrame):
        parse_frame({"type": "message.created", "message": {"id": "m1"}})
    with pytest.raises(InvalidFrame):
        parse_frame({"type": "receipt", "conversation_id": "c1"})
    with pytest.raises(InvalidFrame):
        parse_frame({"no": "type"})


def test_stream_url_follows_the_base_url():
    assert _stream_url("https://h:8443/") == "wss://h:8443/api/v1/stream"
    assert _stream_url("http://127.0.0.1:1") == "ws://127.0.0.1:1/api/v1/stream"
    with pytest.raises(ValueError):
        _stream_url("h:8443")


def test_backoff_is_full_jitter_under_the_cap():
    stream = HippoStream("https://h:1", "t", backoff_initial=0.5, backoff_max=4.0)
    assert stream._delay() == 0.0  # the first attempt waits for nothing
    for attempt, cap in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (9, 4.0)]:
        stream._attempt = attempt
        delays = [stream._delay() for _ in range(200)]
        assert all(0 <= d <= cap for d in delays), (attempt, max(delays))
        assert max(delays) > cap / 2, "spread over the whole range"


def test_note_seq_keeps_the_highest():
    stream = HippoStream("https://h:1", "t")
    stream.note_seq("c1", 5)
    stream.note_seq("c1", 3)
    assert stream.last_seq("c1") == 5
    stream.forget("c1")
    assert stream.last_seq("c1") is None
