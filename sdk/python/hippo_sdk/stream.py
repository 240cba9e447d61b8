"""``HippoStream``: hippo's real-time stream for asyncio, like the
TypeScript SDK's ``HippoStream``.

One WebSocket to ``GET /api/v1/stream`` authenticated with
``Authorization: Bearer <token>`` (a session token or an ``hpk_`` API key),
read as an async iterator of typed frames (:mod:`hippo_sdk.frames`):

- keepalive: a ``ping`` frame every ``ping_interval`` seconds; without a
  ``pong`` within ``pong_timeout`` the socket counts as dead and is replaced;
- reconnection with full-jitter backoff (``random(0, min(backoff_max,
  backoff_initial * 2 ** (attempt - 1)))``), the attempt counter reset once a
  connection stayed ready for ``stable_after`` seconds; at least 2 s after a
  1008 close (flood, too slow a reader);
- catch-up by ``seq``: the stream remembers, per conversation, the highest
  ``seq`` of ``message.created`` it yielded (seed it with
  :meth:`HippoStream.note_seq`). After every ``ready`` it pages ``GET
  /api/v1/conversations/{id}/messages?after_seq=`` with the REST client and
  yields the missing messages as :class:`~hippo_sdk.frames.MessageCreated`,
  in order, before any live frame; a live ``message.created`` that skips a
  ``seq`` makes it fetch the gap first, and one already yielded is dropped.
  So each ``seq`` of a followed conversation arrives once, ascending.

It stops (the iteration ends) after yielding ``session.ended`` or after
:meth:`HippoStream.close`; a refused sign-in (HTTP 401/403 at the upgrade,
close code 4401/4403) raises :class:`HippoStreamAuthError`. ``pong`` frames
are consumed by the keepalive and not yielded. Nothing here logs frame
contents.
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
import random
import ssl as ssl_module
import time
from collections.abc import Mapping
from typing import Any, Self

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from .frames import (
    ConversationUpdated,
    InvalidFrame,
    MessageCreated,
    Pong,
    Ready,
    ServerFrame,
    SessionEnded,
    parse_frame,
)
from .rest import AuthenticatedClient
from .rest.api.messages import list_messages
from .rest.models.message_page_response import MessagePageResponse

log = logging.getLogger("hippo_sdk.stream")

#: The server's largest page for ``GET …/messages``.
MAX_PAGE = 500


class HippoStreamAuthError(Exception):
    """hippo refused the token (sign in again, or check the API key)."""


class HippoStream:
    """The real-time stream; use ``async with`` and ``async for``::

    client = AuthenticatedClient(base_url=url, token=key, verify_ssl=ca_file)
    async with HippoStream.from_client(client) as stream:
        async for frame in stream:
            if isinstance(frame, MessageCreated):
                handle(frame.message)
    """

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        client: AuthenticatedClient | None = None,
        verify_ssl: str | bool | ssl_module.SSLContext = True,
        ping_interval: float = 25.0,
        pong_timeout: float = 10.0,
        connect_timeout: float = 15.0,
        backoff_initial: float = 0.5,
        backoff_max: float = 30.0,
        stable_after: float = 10.0,
        catch_up_page_size: int = 200,
    ) -> None:
        """``base_url``: ``https://host:port`` (the stream is ``wss://…/api/v1/stream``).
        ``client``: the REST client used for catch-up; without it there is none
        (already yielded ``seq`` s are still dropped). ``verify_ssl``: as the
        REST client's (a CA file path, a context, or a bool)."""
        if not 1 <= catch_up_page_size <= MAX_PAGE:
            raise ValueError(f"catch_up_page_size must be 1..{MAX_PAGE}")
        self.url = _stream_url(base_url)
        self._token = token
        self._client = client
        self._ssl = _ssl_context(verify_ssl) if self.url.startswith("wss:") else None
        self._ping_interval = ping_interval
        self._pong_timeout = pong_timeout
        self._connect_timeout = connect_timeout
        self._backoff_initial = backoff_initial
        self._backoff_max = backoff_max
        self._stable_after = stable_after
        self._page = catch_up_page_size
        self._ws: ClientConnection | None = None
        self._pending: collections.deque[ServerFrame | dict[str, Any]] = collections.deque()
        self._last_seq: dict[str, int] = {}
        self._closed = False
        self._attempt = 0
        self._min_delay = 0.0
        self._ready_at: float | None = None
        self._next_ping = 0.0
        self._pong_due: float | None = None
        #: This connection's session id and user id (from the last ``ready``).
        self.session_id: str | None = None
        self.user_id: str | None = None
        #: How many sockets have been opened (1 after the first ``ready``).
        self.connections = 0
        #: When the last ``pong`` arrived (``time.monotonic()``), or None.
        self.last_pong_at: float | None = None

    @classmethod
    def from_client(cls, client: AuthenticatedClient, **options: Any) -> HippoStream:
        """A stream with the REST client's base URL, token and TLS settings,
        catching up through it."""
        return cls(
            client._base_url,
            client.token,
            client=client,
            verify_ssl=client._verify_ssl,
            **options,
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def __aiter__(self) -> HippoStream:
        return self

    async def __anext__(self) -> ServerFrame | dict[str, Any]:
        while True:
            if self._pending:
                return self._pending.popleft()
            if self._closed:
                raise StopAsyncIteration
            if self._ws is None:
                await self._connect()
                continue
            await self._read_one()

    # --- what an app calls ------------------------------------------------

    def note_seq(self, conversation_id: str, seq: int) -> None:
        """Follow a conversation from ``seq`` (the last message the app has):
        later ones are caught up after every reconnect."""
        self._last_seq[conversation_id] = max(seq, self._last_seq.get(conversation_id, 0))

    def last_seq(self, conversation_id: str) -> int | None:
        return self._last_seq.get(conversation_id)

    def forget(self, conversation_id: str) -> None:
        self._last_seq.pop(conversation_id, None)

    async def send(self, frame: Mapping[str, Any]) -> bool:
        """Sends a client frame (``typing``, ``read``, ``call.signal``…);
        False when no socket is open."""
        ws = self._ws
        if ws is None:
            return False
        try:
            await ws.send(json.dumps(frame))
        except ConnectionClosed:
            return False
        return True

    async def typing(self, conversation_id: str) -> bool:
        return await self.send({"type": "typing", "conversation_id": conversation_id})

    async def mark_read(self, conversation_id: str, up_to_seq: int) -> bool:
        return await self.send({"type": "read", "conversation_id": conversation_id, "up_to_seq": up_to_seq})

    async def reconnect(self) -> None:
        """Drops the socket; the iteration opens a new one (and catches up)."""
        await self._drop(code=1000, reason="reconnect")

    async def close(self) -> None:
        """Closes the socket for good; the iteration ends."""
        self._closed = True
        await self._drop(code=1000, reason="closed by the client")

    # --- connection -------------------------------------------------------

    def _delay(self) -> float:
        if self._attempt == 0:
            return self._min_delay
        cap = min(self._backoff_max, self._backoff_initial * 2 ** (self._attempt - 1))
        return max(self._min_delay, random.uniform(0, cap))

    async def _connect(self) -> None:
        delay = self._delay()
        if delay > 0:
            await asyncio.sleep(delay)
        self._attempt += 1
        self._min_delay = 0.0
        try:
            ws = await connect(
                self.url,
                additional_headers={"Authorization": f"Bearer {self._token}"},
                ssl=self._ssl,
                open_timeout=self._connect_timeout,
                max_size=2**24,
            )
        except InvalidStatus as e:
            if e.response.status_code in (401, 403):
                self._closed = True
                raise HippoStreamAuthError(f"the stream refused the token (HTTP {e.response.status_code})") from e
            log.info("stream upgrade answered %s; retrying", e.response.status_code)
            return
        except (OSError, TimeoutError, InvalidHandshake) as e:
            log.info("stream connection failed (%s); retrying", type(e).__name__)
            return
        try:
            first = await asyncio.wait_for(ws.recv(), self._connect_timeout)
            ready = parse_frame(json.loads(first))
        except ConnectionClosed as e:
            self._check_auth_close(e)
            return
        except (TimeoutError, ValueError) as e:
            log.info("stream not ready (%s); retrying", type(e).__name__)
            await ws.close()
            return
        if not isinstance(ready, Ready):
            await ws.close()
            return
        self._ws = ws
        self._ready_at = time.monotonic()
        self._next_ping = self._ready_at + self._ping_interval
        self._pong_due = None
        self.session_id, self.user_id = ready.session_id, ready.user_id
        self.connections += 1
        self._pending.append(ready)
        if not await self._catch_up_all():
            await self._drop(code=1000, reason="catch-up failed")

    def _check_auth_close(self, e: ConnectionClosed) -> None:
        code = e.rcvd.code if e.rcvd is not None else 1006
        if code in (4401, 4403):
            self._closed = True
            raise HippoStreamAuthError(f"the stream closed with {code}: sign in again") from e
        if code == 1008:
            cap = min(self._backoff_max, self._backoff_initial * 2**3)
            self._min_delay = cap / 2

    async def _drop(self, code: int, reason: str) -> None:
        ws, self._ws = self._ws, None
        if ws is not None:
            self._note_closed()
            await ws.close(code=code, reason=reason)

    def _note_closed(self) -> None:
        if self._ready_at is not None and time.monotonic() - self._ready_at >= self._stable_after:
            self._attempt = 0
        self._ready_at = None

    async def _read_one(self) -> None:
        ws = self._ws
        assert ws is not None
        now = time.monotonic()
        if self._pong_due is not None and now >= self._pong_due:
            log.info("no pong within %.1f s; reconnecting", self._pong_timeout)
            await self._drop(code=4000, reason="no pong")
            return
        if self._pong_due is None and now >= self._next_ping:
            await self.send({"type": "ping"})
            self._pong_due = now + self._pong_timeout
            self._next_ping = now + self._ping_interval
        wake = self._pong_due if self._pong_due is not None else self._next_ping
        try:
            text = await asyncio.wait_for(ws.recv(), max(0.0, wake - time.monotonic()))
        except TimeoutError:
            return
        except ConnectionClosed as e:
            self._ws = None
            self._note_closed()
            self._check_auth_close(e)
            return
        try:
            frame = parse_frame(json.loads(text))
        except (ValueError, InvalidFrame) as e:
            log.warning("invalid frame from the server (%s)", type(e).__name__)
            return
        await self._handle(frame)

    # --- frames and catch-up ----------------------------------------------

    async def _handle(self, frame: ServerFrame | dict[str, Any]) -> None:
        if isinstance(frame, Pong):
            self._pong_due = None
            self.last_pong_at = time.monotonic()
            return
        if isinstance(frame, MessageCreated):
            await self._live_message(frame)
            return
        if isinstance(frame, ConversationUpdated):
            conversation = frame.conversation
            if self.user_id in conversation.member_ids:
                self._last_seq.setdefault(conversation.id, conversation.last_seq)
            else:
                self.forget(conversation.id)
        self._pending.append(frame)
        if isinstance(frame, SessionEnded):
            self._closed = True
            await self._drop(code=1000, reason="session ended")

    async def _live_message(self, frame: MessageCreated) -> None:
        message = frame.message
        last = self._last_seq.get(message.conversation_id)
        if last is not None and message.seq <= last:
            return
        if last is not None and message.seq > last + 1 and self._client is not None:
            if not await self._catch_up(message.conversation_id, until=message.seq - 1):
                await self._drop(code=1000, reason="catch-up failed")
                return
            if message.seq <= self._last_seq.get(message.conversation_id, 0):
                return
        self._last_seq[message.conversation_id] = message.seq
        self._pending.append(frame)

    async def _catch_up_all(self) -> bool:
        if self._client is None:
            return True
        for conversation_id in list(self._last_seq):
            if not await self._catch_up(conversation_id):
                return False
        return True

    async def _catch_up(self, conversation_id: str, until: int | None = None) -> bool:
        """Yields the conversation's messages after the last seq (up to
        ``until``); False on a failure worth a reconnect."""
        assert self._client is not None
        while True:
            after = self._last_seq.get(conversation_id)
            if after is None or (until is not None and after >= until):
                return True
            try:
                response = await list_messages.asyncio_detailed(
                    conversation_id, client=self._client, after_seq=after, limit=self._page
                )
            except (httpx.HTTPError, ValueError, KeyError) as e:  # retried by reconnecting
                log.info("catch-up request failed (%s)", type(e).__name__)
                return False
            status = int(response.status_code)
            if status in (403, 404):
                self.forget(conversation_id)  # no longer a member
                return True
            page = response.parsed
            if status != 200 or not isinstance(page, MessagePageResponse):
                log.info("catch-up answered %s", status)
                return False
            for message in page.messages:
                if message.seq > self._last_seq.get(conversation_id, 0):
                    self._last_seq[conversation_id] = message.seq
                    self._pending.append(MessageCreated(message))
            if len(page.messages) < self._page:
                return True


def _stream_url(base_url: str) -> str:
    base = base_url.rstrip("/")
    if base.startswith("https://"):
        return "wss://" + base[len("https://") :] + "/api/v1/stream"
    if base.startswith("http://"):
        return "ws://" + base[len("http://") :] + "/api/v1/stream"
    raise ValueError(f"base_url must start with https:// or http://, not {base_url!r}")


def _ssl_context(verify: str | bool | ssl_module.SSLContext) -> ssl_module.SSLContext:
    if isinstance(verify, ssl_module.SSLContext):
        return verify
    if isinstance(verify, str):
        return ssl_module.create_default_context(cafile=verify)
    context = ssl_module.create_default_context()
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl_module.CERT_NONE
    return context


__all__ = ["MAX_PAGE", "HippoStream", "HippoStreamAuthError"]
