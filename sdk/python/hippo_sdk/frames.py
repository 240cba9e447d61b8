"""Typed frames of hippo's real-time stream (``GET /api/v1/stream``).

One dataclass per server frame of the AsyncAPI document hippo serves at
``/api/v1/asyncapi.json``; messages, conversations and calls inside frames
are the REST client's models (``hippo_sdk.rest.models``), parsed by the
same generated code as REST answers. :func:`parse_frame` turns a decoded
JSON object into its dataclass; a frame of a type this SDK does not know
yet (a newer server) comes back as the plain ``dict``.

The tests check these classes against the served document field by field
(``tests/test_live.py``), so a frame the server changes fails CI.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, TypeAlias

from .rest.models.call_response import CallResponse
from .rest.models.conversation_response import ConversationResponse
from .rest.models.message_response import MessageResponse

SessionEndReason: TypeAlias = Literal["logout", "expired", "deactivated", "revoked"]


class InvalidFrame(ValueError):
    """A frame of a known type whose fields do not parse."""


def _time(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidFrame(f"expected an RFC 3339 time, got {type(value).__name__}")
    return dt.datetime.fromisoformat(value)


def _str(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise InvalidFrame(f"{data.get('type')}: {key} must be a string")
    return value


def _int(data: Mapping[str, Any], key: str) -> int:
    value = data.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidFrame(f"{data.get('type')}: {key} must be an integer")
    return value


def _obj(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    if not isinstance(value, Mapping):
        raise InvalidFrame(f"{data.get('type')}: {key} must be an object")
    return value


@dataclass(frozen=True, slots=True)
class Ready:
    """The socket is authenticated: the first frame of every connection."""

    TYPE: ClassVar[str] = "ready"
    user_id: str
    session_id: str


@dataclass(frozen=True, slots=True)
class Pong:
    """The answer to a client ``ping``."""

    TYPE: ClassVar[str] = "pong"


@dataclass(frozen=True, slots=True)
class Error:
    """A client frame was refused; the socket stays open. ``code`` is one of
    the REST API's problem codes."""

    TYPE: ClassVar[str] = "error"
    code: str
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class MessageCreated:
    """A new message in one of the caller's conversations (also what
    :class:`~hippo_sdk.HippoStream` yields for messages it caught up on)."""

    TYPE: ClassVar[str] = "message.created"
    message: MessageResponse


@dataclass(frozen=True, slots=True)
class MessageUpdated:
    """A message was edited, or its delivery state on another channel
    (WhatsApp) changed."""

    TYPE: ClassVar[str] = "message.updated"
    message: MessageResponse


@dataclass(frozen=True, slots=True)
class MessageDeleted:
    """A message was recalled."""

    TYPE: ClassVar[str] = "message.deleted"
    conversation_id: str
    message_id: str


@dataclass(frozen=True, slots=True)
class Receipt:
    """``user_id`` received or read everything up to ``up_to_seq``."""

    TYPE: ClassVar[str] = "receipt"
    conversation_id: str
    message_id: str
    user_id: str
    up_to_seq: int
    delivered_at: dt.datetime | None = None
    read_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class ConversationUpdated:
    """A conversation's title or members changed (also sent to members just
    removed)."""

    TYPE: ClassVar[str] = "conversation.updated"
    conversation: ConversationResponse


@dataclass(frozen=True, slots=True)
class Typing:
    """A member is typing (not stored)."""

    TYPE: ClassVar[str] = "typing"
    conversation_id: str
    user_id: str


@dataclass(frozen=True, slots=True)
class SessionEnded:
    """The session ended (sign-out, expiry, deactivation, a revoked key); the
    server closes the socket after this frame and the stream stops."""

    TYPE: ClassVar[str] = "session.ended"
    reason: SessionEndReason


@dataclass(frozen=True, slots=True)
class CallRinging:
    """Someone calls: to every session of each user being rung."""

    TYPE: ClassVar[str] = "call.ringing"
    call: CallResponse


@dataclass(frozen=True, slots=True)
class CallUpdated:
    """A call changed (someone joined, declined or left)."""

    TYPE: ClassVar[str] = "call.updated"
    call: CallResponse


@dataclass(frozen=True, slots=True)
class CallEnded:
    """A call is over."""

    TYPE: ClassVar[str] = "call.ended"
    call: CallResponse


@dataclass(frozen=True, slots=True)
class CallSignal:
    """An offer, answer or ICE candidate from another session of the call
    (``from_session`` is ``sfu`` for hippo's media server)."""

    TYPE: ClassVar[str] = "call.signal"
    call_id: str
    from_session: str
    sdp: Mapping[str, Any] | None = None
    candidate: Mapping[str, Any] | None = None


ServerFrame: TypeAlias = (
    Ready
    | Pong
    | Error
    | MessageCreated
    | MessageUpdated
    | MessageDeleted
    | Receipt
    | ConversationUpdated
    | Typing
    | SessionEnded
    | CallRinging
    | CallUpdated
    | CallEnded
    | CallSignal
)

_REASONS = ("logout", "expired", "deactivated", "revoked")


def _session_ended(d: Mapping[str, Any]) -> SessionEnded:
    reason = _str(d, "reason")
    if reason not in _REASONS:
        raise InvalidFrame(f"session.ended: unknown reason {reason!r}")
    return SessionEnded(reason=reason)  # type: ignore[arg-type]


def _optional_obj(d: Mapping[str, Any], key: str) -> Mapping[str, Any] | None:
    return None if d.get(key) is None else _obj(d, key)


def _optional_str(d: Mapping[str, Any], key: str) -> str | None:
    return None if d.get(key) is None else _str(d, key)


_PARSERS: dict[str, Callable[[Mapping[str, Any]], ServerFrame]] = {
    "ready": lambda d: Ready(user_id=_str(d, "user_id"), session_id=_str(d, "session_id")),
    "pong": lambda d: Pong(),
    "error": lambda d: Error(code=_str(d, "code"), detail=_optional_str(d, "detail")),
    "message.created": lambda d: MessageCreated(MessageResponse.from_dict(_obj(d, "message"))),
    "message.updated": lambda d: MessageUpdated(MessageResponse.from_dict(_obj(d, "message"))),
    "message.deleted": lambda d: MessageDeleted(
        conversation_id=_str(d, "conversation_id"), message_id=_str(d, "message_id")
    ),
    "receipt": lambda d: Receipt(
        conversation_id=_str(d, "conversation_id"),
        message_id=_str(d, "message_id"),
        user_id=_str(d, "user_id"),
        up_to_seq=_int(d, "up_to_seq"),
        delivered_at=_time(d.get("delivered_at")),
        read_at=_time(d.get("read_at")),
    ),
    "conversation.updated": lambda d: ConversationUpdated(ConversationResponse.from_dict(_obj(d, "conversation"))),
    "typing": lambda d: Typing(conversation_id=_str(d, "conversation_id"), user_id=_str(d, "user_id")),
    "session.ended": _session_ended,
    "call.ringing": lambda d: CallRinging(CallResponse.from_dict(_obj(d, "call"))),
    "call.updated": lambda d: CallUpdated(CallResponse.from_dict(_obj(d, "call"))),
    "call.ended": lambda d: CallEnded(CallResponse.from_dict(_obj(d, "call"))),
    "call.signal": lambda d: CallSignal(
        call_id=_str(d, "call_id"),
        from_session=_str(d, "from_session"),
        sdp=_optional_obj(d, "sdp"),
        candidate=_optional_obj(d, "candidate"),
    ),
}

#: Every frame type this SDK parses, and its class.
FRAME_CLASSES: dict[str, type] = {
    cls.TYPE: cls
    for cls in (
        Ready,
        Pong,
        Error,
        MessageCreated,
        MessageUpdated,
        MessageDeleted,
        Receipt,
        ConversationUpdated,
        Typing,
        SessionEnded,
        CallRinging,
        CallUpdated,
        CallEnded,
        CallSignal,
    )
}


def parse_frame(data: Mapping[str, Any]) -> ServerFrame | dict[str, Any]:
    """The typed frame for a decoded server frame; the ``dict`` itself for a
    type this SDK does not know. Raises :class:`InvalidFrame` when a known
    frame's fields do not parse."""
    kind = data.get("type")
    if not isinstance(kind, str):
        raise InvalidFrame("a frame must be a JSON object with a string type")
    parser = _PARSERS.get(kind)
    if parser is None:
        return dict(data)
    try:
        return parser(data)
    except InvalidFrame:
        raise
    except (KeyError, TypeError, ValueError) as e:
        raise InvalidFrame(f"{kind}: {e!r}") from e
