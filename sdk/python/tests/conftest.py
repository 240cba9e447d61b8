"""The live tests' server: .ci/sdk-generate starts `hippo serve` (MFA not
required), creates two clinicians with `hippo user create`, and passes
HIPPO_URL, HIPPO_CA, HIPPO_USER, HIPPO_PASSWORD, HIPPO_PEER_ID and
HIPPO_ASYNCAPI (the AsyncAPI document it served). Without them the live
tests fail (they never skip)."""

import os
from dataclasses import dataclass

import pytest


@dataclass(frozen=True)
class Live:
    url: str
    ca: str
    user: str
    password: str
    peer_id: str
    asyncapi: str


@pytest.fixture(scope="session")
def live() -> Live:
    names = ["HIPPO_URL", "HIPPO_CA", "HIPPO_USER", "HIPPO_PASSWORD", "HIPPO_PEER_ID", "HIPPO_ASYNCAPI"]
    missing = [n for n in names if not os.environ.get(n)]
    if missing:
        pytest.fail(
            f"the live tests need {', '.join(missing)}: run them through .ci/sdk-generate "
            "(or start hippo with HIPPO_REQUIRE_MFA=false and set them)",
            pytrace=False,
        )
    return Live(*(os.environ[n] for n in names))
