#!/usr/bin/env python3
"""Signs a user in over hippo's API and prints a full bearer token.

Used by .ci/schemathesis. With MFA required (the default), the first
sign-in only reaches enrolment: this enrols TOTP (POST /api/v1/me/mfa/totp,
the code computed here from the secret, RFC 6238 SHA-1 / 6 digits / 30 s),
confirms it, and signs in again with the first recovery code (a TOTP code
just used cannot be replayed). Standard library only.

    signin.py URL CA_FILE USERNAME   (the password on stdin)
"""

import base64
import hashlib
import hmac
import json
import ssl
import struct
import sys
import time
import urllib.error
import urllib.request


def totp(secret_b32: str, now: float) -> str:
    key = base64.b32decode(secret_b32.upper() + "=" * (-len(secret_b32) % 8))
    mac = hmac.new(key, struct.pack(">Q", int(now) // 30), hashlib.sha1).digest()
    offset = mac[-1] & 15
    value = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    return "%06d" % (value % 1_000_000)


def main() -> int:
    url, ca, username = sys.argv[1:4]
    password = sys.stdin.read().rstrip("\n")
    tls = ssl.create_default_context(cafile=ca)

    def call(method, path, body=None, token=None):
        headers = {"accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["content-type"] = "application/json"
        if token:
            headers["authorization"] = "Bearer " + token
        req = urllib.request.Request(url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, context=tls, timeout=30) as resp:
                return json.load(resp)
        except urllib.error.HTTPError as e:
            sys.exit(f"signin.py: {method} {path} as {username}: HTTP {e.code} {e.read()[:300]!r}")

    answer = call("POST", "/api/v1/auth/login", {"username": username, "password": password})
    if answer.get("password_change_required"):
        sys.exit(f"signin.py: {username} must change the password first")
    if answer.get("mfa_enrollment_required"):
        token = answer["token"]
        secret = call("POST", "/api/v1/me/mfa/totp", token=token)["secret"]
        confirmed = call("POST", "/api/v1/me/mfa/totp/confirm", {"code": totp(secret, time.time())}, token=token)
        codes = confirmed["recovery_codes"]
        answer = call("POST", "/api/v1/auth/login",
                      {"username": username, "password": password, "totp_code": codes[0]})
    if answer.get("mfa_enrollment_required") or answer.get("password_change_required"):
        sys.exit(f"signin.py: {username} still owes enrolment or a password change: {answer}")
    token = answer["token"]
    call("GET", "/api/v1/me", token=token)
    print(token)
    return 0


if __name__ == "__main__":
    sys.exit(main())
