"""The SDK against a real `hippo serve` (see conftest.py): the frame
classes match the served AsyncAPI document; sign in with the generated REST
client, open a conversation, send, and receive `message.created` on the
stream; catch-up after a reconnect; error frames; keepalive; sign-out ends
the stream."""

import asyncio
import dataclasses
import json
import ssl
import time
import uuid

from hippo_sdk import (
    FRAME_CLASSES,
    AuthenticatedClient,
    Client,
    Error,
    HippoStream,
    MessageCreated,
    Ready,
    SessionEnded,
)
from hippo_sdk.rest.api.conversations import create_conversation
from hippo_sdk.rest.api.messages import send_message
from hippo_sdk.rest.api.sessions import login, logout
from hippo_sdk.rest.models import (
    ConversationResponse,
    CreateConversationRequest,
    LoginRequest,
    LoginResponse,
    MessageResponse,
    NewConversationKind,
    SendMessageRequest,
)

TIMEOUT = 10.0


def test_frame_classes_match_the_served_asyncapi(live):
    with open(live.asyncapi) as f:
        doc = json.load(f)
    served = {
        message["payload"]["properties"]["type"]["enum"][0]: message["payload"]
        for key, message in doc["components"]["messages"].items()
        if key.startswith("server_")
    }
    assert served, "the document lists server frames"
    assert set(served) == set(FRAME_CLASSES), (
        f"new in the document: {sorted(set(served) - set(FRAME_CLASSES))}; "
        f"gone from it: {sorted(set(FRAME_CLASSES) - set(served))}"
    )
    for kind, payload in served.items():
        fields = {f.name: f for f in dataclasses.fields(FRAME_CLASSES[kind])}
        properties = set(payload["properties"]) - {"type"}
        required = set(payload.get("required", [])) - {"type"}
        assert set(fields) == properties, f"{kind}: fields {sorted(fields)} vs the document's {sorted(properties)}"
        without_default = {
            name
            for name, f in fields.items()
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        }
        assert without_default == required, f"{kind}: required {sorted(required)}, not {sorted(without_default)}"


async def sign_in(live) -> AuthenticatedClient:
    tls = ssl.create_default_context(cafile=live.ca)
    anonymous = Client(base_url=live.url, verify_ssl=tls)
    response = await login.asyncio_detailed(
        client=anonymous, body=LoginRequest(username=live.user, password=live.password)
    )
    assert response.status_code == 200, response.content
    assert isinstance(response.parsed, LoginResponse)
    assert not response.parsed.mfa_enrollment_required, "the test server does not require MFA"
    assert isinstance(response.parsed.token, str)
    return AuthenticatedClient(base_url=live.url, token=response.parsed.token, verify_ssl=tls)


async def send(client: AuthenticatedClient, conversation_id: str, text: str) -> MessageResponse:
    response = await send_message.asyncio_detailed(
        conversation_id, client=client, body=SendMessageRequest(body=text, client_id=str(uuid.uuid4()))
    )
    assert response.status_code == 201, response.content
    assert isinstance(response.parsed, MessageResponse)
    return response.parsed


async def next_frame(stream: HippoStream):
    return await asyncio.wait_for(anext(stream), TIMEOUT)


async def next_of(stream: HippoStream, kind: type):
    """The next frame of `kind`, skipping others (receipts, typing…)."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        frame = await asyncio.wait_for(anext(stream), max(0.1, deadline - time.monotonic()))
        if isinstance(frame, kind):
            return frame
    raise AssertionError(f"no {kind.__name__} within {TIMEOUT} s")


async def conversation_with_peer(client: AuthenticatedClient, peer_id: str) -> ConversationResponse:
    response = await create_conversation.asyncio_detailed(
        client=client,
        body=CreateConversationRequest(
            kind=NewConversationKind.GROUP, title=f"sdk test {uuid.uuid4()}", member_ids=[peer_id]
        ),
    )
    assert response.status_code == 201, response.content
    assert isinstance(response.parsed, ConversationResponse)
    return response.parsed


def test_send_and_receive_on_the_stream_with_catch_up(live):
    async def scenario():
        client = await sign_in(live)
        conversation = await conversation_with_peer(client, live.peer_id)
        async with HippoStream.from_client(client) as stream:
            ready = await next_frame(stream)
            assert isinstance(ready, Ready) and ready.session_id and stream.connections == 1

            sent = await send(client, conversation.id, "first from the Python SDK")
            created = await next_of(stream, MessageCreated)
            assert created.message.id == sent.id and created.message.seq == 1
            assert created.message.body == "first from the Python SDK"
            assert stream.last_seq(conversation.id) == 1

            # Disconnected while two more arrive: caught up after the next
            # `ready`, in order, once each.
            await stream.reconnect()
            later = [await send(client, conversation.id, f"while away {i}") for i in (2, 3)]
            ready = await next_frame(stream)
            assert isinstance(ready, Ready) and stream.connections == 2
            caught = [await next_of(stream, MessageCreated) for _ in later]
            assert [m.message.seq for m in caught] == [2, 3]
            assert [m.message.id for m in caught] == [m.id for m in later]
            live_again = await send(client, conversation.id, "live again")
            created = await next_of(stream, MessageCreated)
            assert (created.message.id, created.message.seq) == (live_again.id, 4), "no duplicate of 2 or 3"

            # A frame the server does not know: an error frame, the socket stays.
            assert await stream.send({"type": "no.such.frame"})
            error = await next_of(stream, Error)
            assert error.code and stream.connections == 2

    asyncio.run(scenario())


def test_keepalive_and_sign_out_ends_the_stream(live):
    async def scenario():
        client = await sign_in(live)
        async with HippoStream.from_client(client, ping_interval=0.2, pong_timeout=5.0) as stream:
            assert isinstance(await next_frame(stream), Ready)
            # Pongs are consumed by the keepalive; iterate while they arrive.
            reader = asyncio.ensure_future(anext(stream))
            deadline = time.monotonic() + TIMEOUT
            while stream.last_pong_at is None and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            assert stream.last_pong_at is not None, "pong answered"
            assert not reader.done(), "pongs are not yielded"

            response = await logout.asyncio_detailed(client=client)
            assert response.status_code == 204, response.content
            ended = await asyncio.wait_for(reader, TIMEOUT)
            while not isinstance(ended, SessionEnded):
                ended = await next_frame(stream)
            assert ended.reason == "logout"
            rest = [frame async for frame in stream]
            assert rest == [], "the stream stops after session.ended"
            assert stream.connections == 1, "no reconnect after session.ended"

    asyncio.run(scenario())
