"""Smoke test of the Python client generated from hippo's served OpenAPI
document: sign in (enrolling TOTP on the way), open a conversation, upload
a file, send a message carrying it, read it back, download the file, sign
out. Any unexpected answer raises, so the CI step fails.

Environment: HIPPO_URL (https://localhost:PORT), HIPPO_CA (the server's
certificate), HIPPO_USER, HIPPO_PASSWORD, HIPPO_PEER_ID (a second user).
"""

import base64
import hashlib
import hmac
import os
import struct
import sys
import time
from io import BytesIO

from hippo_client import AuthenticatedClient, Client
from hippo_client.api.conversations import create_conversation
from hippo_client.api.files import download_attachment, upload_attachment
from hippo_client.api.me import begin_totp_enrollment, confirm_totp_enrollment, get_me
from hippo_client.api.messages import list_messages, send_message
from hippo_client.api.sessions import login, logout
from hippo_client.models import (
    AttachmentResponse,
    ConversationResponse,
    CreateConversationRequest,
    LoginRequest,
    LoginResponse,
    MessagePageResponse,
    MessageResponse,
    NewConversationKind,
    Priority,
    SendMessageRequest,
    TotpConfirmRequest,
    TotpEnrollmentResponse,
    UserResponse,
)
from hippo_client.types import File


def totp(secret: str, step: int) -> str:
    """RFC 6238 code (HMAC-SHA1, 6 digits) for a 30-second step."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    mac = hmac.new(key, struct.pack(">q", step), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    number = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 1_000_000:06d}"


def expect(response, status: int, kind):
    """The parsed body of a response with the expected status and type."""
    if response.status_code != status or not isinstance(response.parsed, kind):
        sys.exit(
            f"FAIL: expected {status} {kind.__name__}, got {response.status_code}: "
            f"{response.content[:500]!r}"
        )
    return response.parsed


def main() -> None:
    url = os.environ["HIPPO_URL"]
    ca = os.environ["HIPPO_CA"]
    user = os.environ["HIPPO_USER"]
    password = os.environ["HIPPO_PASSWORD"]
    peer = os.environ["HIPPO_PEER_ID"]

    anonymous = Client(base_url=url, verify_ssl=ca, raise_on_unexpected_status=True)

    # First sign-in: MFA is required, so the token only reaches enrollment.
    first = expect(
        login.sync_detailed(client=anonymous, body=LoginRequest(username=user, password=password)),
        200,
        LoginResponse,
    )
    assert first.mfa_enrollment_required, "expected an enrollment-only session"
    assert isinstance(first.token, str), "a bearer sign-in returns its token"
    limited = AuthenticatedClient(base_url=url, token=first.token, verify_ssl=ca)
    enrollment = expect(
        begin_totp_enrollment.sync_detailed(client=limited), 200, TotpEnrollmentResponse
    )
    step = int(time.time()) // 30
    confirmed = confirm_totp_enrollment.sync_detailed(
        client=limited, body=TotpConfirmRequest(code=totp(enrollment.secret, step))
    )
    assert confirmed.status_code == 200, confirmed.content
    assert len(confirmed.parsed.recovery_codes) == 10, confirmed.content

    # Each code is accepted once; the next step's code is within the window.
    step = int(time.time()) // 30 + 1
    signed_in = expect(
        login.sync_detailed(
            client=anonymous,
            body=LoginRequest(
                username=user, password=password, totp_code=totp(enrollment.secret, step)
            ),
        ),
        200,
        LoginResponse,
    )
    assert not signed_in.mfa_enrollment_required
    assert signed_in.expires_at.tzinfo is not None, "expires_at is a date-time"

    assert isinstance(signed_in.token, str), "a bearer sign-in returns its token"
    client = AuthenticatedClient(base_url=url, token=signed_in.token, verify_ssl=ca)
    me = expect(get_me.sync_detailed(client=client), 200, UserResponse)
    assert me.username == user and me.mfa_enabled, me

    conversation = expect(
        create_conversation.sync_detailed(
            client=client,
            body=CreateConversationRequest(kind=NewConversationKind.DIRECT, member_ids=[peer]),
        ),
        201,
        ConversationResponse,
    )
    content = "Discharge summary (python smoke)\n".encode()
    attachment = expect(
        upload_attachment.sync_detailed(
            client=client,
            filename="summary.txt",
            body=File(payload=BytesIO(content), file_name="summary.txt", mime_type="text/plain"),
        ),
        201,
        AttachmentResponse,
    )
    assert attachment.size == len(content), attachment
    assert attachment.sha256 == hashlib.sha256(content).hexdigest(), attachment

    sent = expect(
        send_message.sync_detailed(
            id=conversation.id,
            client=client,
            body=SendMessageRequest(
                body="Summary attached.",
                client_id="python-smoke-1",
                priority=Priority.URGENT,
                attachment_ids=[attachment.id],
            ),
        ),
        201,
        MessageResponse,
    )
    assert sent.seq == 1 and sent.priority == Priority.URGENT, sent

    page = expect(
        list_messages.sync_detailed(id=conversation.id, client=client, after_seq=0),
        200,
        MessagePageResponse,
    )
    assert [m.id for m in page.messages] == [sent.id], page
    assert page.messages[0].attachments[0].id == attachment.id

    downloaded = expect(
        download_attachment.sync_detailed(id=attachment.id, client=client), 200, File
    )
    assert downloaded.payload.read() == content

    out = logout.sync_detailed(client=client)
    assert out.status_code == 204, out.content
    after = get_me.sync_detailed(client=client)
    assert after.status_code == 401, after.content
    print("python client: signed in, uploaded, sent, read back, downloaded, signed out")


if __name__ == "__main__":
    main()
