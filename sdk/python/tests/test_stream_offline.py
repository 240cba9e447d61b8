"""HippoStream against a fake server (a websockets server on loopback and a
fake REST API through httpx's MockTransport): gaps filled from REST once,
duplicates dropped, a refused token raises, a socket without pongs is
replaced."""

import asyncio
import json
from http import HTTPStatus
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from websockets.asyncio.server import ServerConnection, serve

from hippo_sdk import AuthenticatedClient, HippoStream, HippoStreamAuthError, MessageCreated, Ready

TIMEOUT = 5.0


def message(seq: int, conversation: str = "c1") -> dict:
    return {
        "id": f"m{seq}",
        "conversation_id": conversation,
        "seq": seq,
        "sender_id": "u2",
        "body": f"message {seq}",
        "priority": "normal",
        "attachments": [],
        "created_at": "2026-01-01T00:00:00Z",
        "edited_at": None,
        "deleted": False,
        "client_id": None,
        "channel": "hippo",
        "channel_status": None,
    }


class Fake:
    """Scripted sockets (one list of frames or actions per connection) and
    a REST API holding `history` per conversation."""

    def __init__(self, scripts, history=None, refuse_upgrade=False):
        self.scripts = list(scripts)
        self.history = history or {}
        self.refuse_upgrade = refuse_upgrade
        self.connections = 0
        self.auth_headers = []
        self.received = []
        self.rest_requests = []

    async def handler(self, ws: ServerConnection):
        self.connections += 1
        self.auth_headers.append(ws.request.headers.get("Authorization"))
        script = self.scripts.pop(0) if self.scripts else [("wait",)]
        await ws.send(json.dumps({"type": "ready", "user_id": "u1", "session_id": f"s{self.connections}"}))
        for step in script:
            if step[0] == "send":
                await ws.send(json.dumps(step[1]))
            elif step[0] == "close":
                await ws.close(step[1], "scripted")
                return
            elif step[0] == "wait":
                async for text in ws:  # until the client goes; pings unanswered
                    self.received.append(json.loads(text))
                return

    def process_request(self, connection, request):
        if self.refuse_upgrade:
            return connection.respond(HTTPStatus.UNAUTHORIZED, "unauthenticated\n")
        return None

    def rest(self, request: httpx.Request) -> httpx.Response:
        url = urlparse(str(request.url))
        self.rest_requests.append(url.path + "?" + url.query)
        conversation = url.path.split("/")[4]
        query = parse_qs(url.query)
        after, limit = int(query["after_seq"][0]), int(query["limit"][0])
        page = [m for m in self.history.get(conversation, []) if m["seq"] > after][:limit]
        next_after = page[-1]["seq"] if page else after
        return httpx.Response(200, json={"messages": page, "next_after_seq": next_after})


async def run(fake: Fake, body, **options):
    async with serve(fake.handler, "127.0.0.1", 0, process_request=fake.process_request) as server:
        port = server.sockets[0].getsockname()[1]
        base = f"http://127.0.0.1:{port}"
        client = AuthenticatedClient(base_url=base, token="hpk_test")
        client.set_async_httpx_client(httpx.AsyncClient(base_url=base, transport=httpx.MockTransport(fake.rest)))
        async with HippoStream.from_client(client, **options) as stream:
            await asyncio.wait_for(body(stream), TIMEOUT)


async def frames_of(stream, kind, n):
    out = []
    async for frame in stream:
        if isinstance(frame, kind):
            out.append(frame)
            if len(out) == n:
                return out
    return out


def test_a_gap_is_filled_from_rest_once_and_duplicates_are_dropped():
    history = {"c1": [message(s) for s in range(1, 6)]}
    fake = Fake(
        [
            [
                ("send", {"type": "message.created", "message": message(1)}),  # starts following c1
                ("send", {"type": "message.created", "message": message(4)}),  # 2 and 3 missing
                ("send", {"type": "message.created", "message": message(4)}),  # a duplicate
                ("send", {"type": "message.created", "message": message(3)}),  # an old one
                ("send", {"type": "message.created", "message": message(5)}),
                ("wait",),
            ]
        ],
        history,
    )

    async def body(stream):
        assert isinstance(await anext(stream), Ready)
        got = await frames_of(stream, MessageCreated, 5)
        assert [f.message.seq for f in got] == [1, 2, 3, 4, 5]
        assert stream.last_seq("c1") == 5

    asyncio.run(run(fake, body, catch_up_page_size=2))
    assert fake.auth_headers == ["Bearer hpk_test"]
    # Nothing was followed at `ready`; the gap before 4 was fetched once,
    # from 1 (2 and 3: one page), and 4 itself came live.
    assert fake.rest_requests == ["/api/v1/conversations/c1/messages?after_seq=1&limit=2"], fake.rest_requests


def test_a_refused_upgrade_raises_and_does_not_retry():
    fake = Fake([], refuse_upgrade=True)

    async def body(stream):
        with pytest.raises(HippoStreamAuthError):
            await anext(stream)
        with pytest.raises(StopAsyncIteration):
            await anext(stream)

    asyncio.run(run(fake, body))


def test_close_4401_raises():
    fake = Fake([[("close", 4401)]])

    async def body(stream):
        assert isinstance(await anext(stream), Ready)
        with pytest.raises(HippoStreamAuthError):
            await anext(stream)

    asyncio.run(run(fake, body))
    assert fake.connections == 1


def test_a_socket_without_pongs_is_replaced_and_caught_up():
    history = {"c1": [message(1), message(2)]}
    fake = Fake([[("send", {"type": "message.created", "message": message(1)}), ("wait",)]], history)

    async def body(stream):
        assert isinstance(await anext(stream), Ready)
        first = await frames_of(stream, MessageCreated, 1)
        assert first[0].message.seq == 1
        # No pong comes: the socket is dropped and a new one opened, and the
        # catch-up brings message 2 (sent while the first was dying).
        ready = await anext(stream)
        assert isinstance(ready, Ready) and ready.session_id == "s2"
        caught = await frames_of(stream, MessageCreated, 1)
        assert caught[0].message.seq == 2
        assert stream.connections == 2

    asyncio.run(run(fake, body, ping_interval=0.1, pong_timeout=0.2, backoff_initial=0.05))
    assert {"type": "ping"} in fake.received
