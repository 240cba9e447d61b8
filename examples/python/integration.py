"""An integration with hippo, end to end.

Sign in with a service account's API key, create a patient who opted in to
WhatsApp, send them a template through hippo, learn by signed webhook that
it was delivered, and read the patient's reply. Run against the sandbox
(``hippo dev fake-whatsapp``, docs/SANDBOX.md), which also plays the
patient's phone; see docs/INTEGRATORS.md and this folder's README.md.

Settings (environment):

- ``HIPPO_URL``: hippo's origin, e.g. https://localhost:8443
- ``HIPPO_API_KEY``: the service account's key, ``hpk_…``
- ``HIPPO_WEBHOOK_SECRET``: the webhook's secret, ``whsec_…``
- ``HIPPO_CA``: a PEM to trust for hippo's certificate (its self-signed
  ``<data-dir>/tls/cert.pem``); unset: the system's roots
- ``WEBHOOK_LISTEN``: where this program receives webhooks (default
  127.0.0.1:8788; the webhook's url is ``http://<it>/hippo-webhooks``)
- ``SANDBOX_URL``, ``SANDBOX_TOKEN``: the fake WhatsApp Cloud API (default
  http://127.0.0.1:8450, fake-access-token)
- ``PATIENT_PHONE``: the test patient's number (default +15551230002)
"""

from __future__ import annotations

import json
import os
import ssl
import sys
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
from hippo_sdk import AuthenticatedClient
from hippo_sdk.rest.api.me import get_me
from hippo_sdk.rest.api.messages import list_messages
from hippo_sdk.rest.api.patients import create_patient, send_whatsapp
from hippo_sdk.rest.models import (
    CreatePatientRequest,
    MessagePageResponse,
    MessageResponse,
    PatientResponse,
    Problem,
    TemplateSendRequest,
    UserResponse,
    WhatsappSendRequest,
)
from standardwebhooks import Webhook, WebhookVerificationError

WEBHOOK_PATH = "/hippo-webhooks"
REPLY = "Thanks, see you then"
MAX_BODY = 64 * 1024


def setting(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if not value:
        raise SystemExit(f"FAIL: {name} is not set")
    return value


def ok(parsed: Any, what: str) -> Any:
    """The parsed answer, or a clear error from its problem document."""
    if parsed is None or isinstance(parsed, Problem):
        detail = f"{parsed.code}: {parsed.detail}" if isinstance(parsed, Problem) else "no answer"
        raise RuntimeError(f"{what}: {detail}")
    return parsed


class Receiver(ThreadingHTTPServer):
    """Verified events in arrival order, each ``webhook-id`` once."""

    def __init__(self, address: tuple[str, int], secret: str) -> None:
        super().__init__(address, Handler)
        # standardwebhooks checks the v1 HMAC over "{id}.{timestamp}.{body}"
        # and refuses timestamps more than 5 minutes away.
        self.webhook = Webhook(secret)
        self.seen: set[str] = set()
        self.events: list[dict[str, Any]] = []
        self.changed = threading.Condition()

    def wait_for(self, what: str, pick: Callable[[dict[str, Any]], bool], timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                for event in self.events:
                    if pick(event):
                        return event
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RuntimeError(f"no webhook {what} within {timeout:.0f} s")
                self.changed.wait(left)


class Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        if self.path != WEBHOOK_PATH or length > MAX_BODY:
            self.send_response(404 if self.path != WEBHOOK_PATH else 413)
            self.end_headers()
            return
        raw = self.rfile.read(length)  # the raw bytes: verify before parsing
        try:
            event = self.server.webhook.verify(raw, dict(self.headers.items()))
        except (WebhookVerificationError, ValueError):
            self.send_response(401)
            self.end_headers()
            return
        # Answer first, work after: hippo waits webhook_timeout (10 s by default), then retries.
        self.send_response(204)
        self.end_headers()
        webhook_id = self.headers["webhook-id"]
        with self.server.changed:
            if webhook_id in self.server.seen:  # a retry of an event already handled
                return
            self.server.seen.add(webhook_id)
            data = json.dumps(event["data"])
            print(f"webhook {event['type']} ({webhook_id}, signature verified): {data}", flush=True)
            self.server.events.append(event)
            self.server.changed.notify_all()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # no access log on stdout


def main() -> None:
    secret = setting("HIPPO_WEBHOOK_SECRET")
    host, _, port = setting("WEBHOOK_LISTEN", "127.0.0.1:8788").rpartition(":")
    sandbox = setting("SANDBOX_URL", "http://127.0.0.1:8450")
    phone = setting("PATIENT_PHONE", "+15551230002")
    ca = os.environ.get("HIPPO_CA")
    tls = ssl.create_default_context(cafile=ca) if ca else True

    # 1. Sign in: the API key is the bearer token. No password, no MFA, no idle timeout.
    hippo = AuthenticatedClient(base_url=setting("HIPPO_URL"), token=setting("HIPPO_API_KEY"), verify_ssl=tls)
    me: UserResponse = ok(get_me.sync(client=hippo), "GET /api/v1/me")
    print(f"signed in as {me.username} (role {me.role}) with an API key", flush=True)

    # 2. Receive webhooks, and check that a forged delivery is refused.
    receiver = Receiver((host, int(port)), secret)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        body = json.dumps({"type": "patient.inbound", "timestamp": "2026-01-01T00:00:00Z", "data": {}})
        now = int(time.time())
        other_key = Webhook(b"\x07" * 32)  # some other secret: the receiver must say 401
        signature = other_key.sign("msg_forged", datetime.fromtimestamp(now, tz=UTC), body)
        forged = httpx.post(
            f"http://{host}:{port}{WEBHOOK_PATH}",
            content=body,
            headers={"webhook-id": "msg_forged", "webhook-timestamp": str(now), "webhook-signature": signature},
        )
        if forged.status_code != 401:
            raise RuntimeError(f"a forged delivery was answered {forged.status_code}, not 401")
        print(f"forged delivery refused: {forged.status_code}", flush=True)

        # 3. A patient who opted in to WhatsApp. The service account is on the care team.
        patient: PatientResponse = ok(
            create_patient.sync(
                client=hippo,
                body=CreatePatientRequest(
                    display_name="Test Patient",
                    phone=phone,
                    whatsapp_opt_in=True,
                    opt_in_source="integration example",
                ),
            ),
            "POST /api/v1/patients",
        )
        print(f"patient created: {patient.id} (conversation {patient.conversation_id})", flush=True)

        # 4. A template message through hippo (approved by Meta, marked PHI-free in hippo).
        message: MessageResponse = ok(
            send_whatsapp.sync(
                patient.id,
                client=hippo,
                body=WhatsappSendRequest(
                    template=TemplateSendRequest(
                        name="appointment_reminder", language="en_US", parameters=["May 3", "10:30"]
                    ),
                    client_id=str(uuid.uuid4()),  # a retried request with the same client_id sends nothing twice
                ),
            ),
            "POST /api/v1/patients/{id}/whatsapp",
        )
        state = message.channel_status.state if message.channel_status else None
        print(f"template sent: message {message.id}, state {state}", flush=True)

        # 5. The delivery state arrives as a signed `whatsapp.status` webhook.
        receiver.wait_for(
            "whatsapp.status delivered",
            lambda e: (
                e["type"] == "whatsapp.status"
                and e["data"].get("message_id") == message.id
                and e["data"].get("state") == "delivered"
            ),
        )
        print(f"delivered: message {message.id}", flush=True)

        # 6. The patient writes back (sandbox only: the fake plays their phone)…
        fake = httpx.post(
            f"{sandbox}/_fake/inbound",
            json={"from": phone, "text": REPLY},
            headers={"authorization": f"Bearer {setting('SANDBOX_TOKEN', 'fake-access-token')}"},
            timeout=30,
        )
        if fake.status_code >= 300:
            raise RuntimeError(f"sandbox /_fake/inbound: {fake.status_code} {fake.text}")

        # …hippo announces it by webhook (ids only), and the key fetches the text.
        event = receiver.wait_for(
            "patient.inbound",
            lambda e: e["type"] == "patient.inbound" and e["data"].get("patient_id") == patient.id,
        )
        seq = int(event["data"]["seq"])
        page: MessagePageResponse = ok(
            list_messages.sync(event["data"]["conversation_id"], client=hippo, after_seq=seq - 1, limit=1),
            "GET /api/v1/conversations/{id}/messages",
        )
        reply = next((m for m in page.messages if m.id == event["data"]["message_id"]), None)
        if reply is None:
            raise RuntimeError(f"message {event['data']['message_id']} is not at seq {seq}")
        print(f"patient replied: {json.dumps(reply.body)} (message {reply.id}, seq {reply.seq})", flush=True)
        if reply.body != REPLY:
            raise RuntimeError(f"expected the reply {REPLY!r}")
        print("ok: the Python integration example finished", flush=True)
    finally:
        receiver.shutdown()
        receiver.server_close()


if __name__ == "__main__":
    try:
        main()
    except Exception as e:
        print(f"FAIL: {e}", file=sys.stderr)
        sys.exit(1)
