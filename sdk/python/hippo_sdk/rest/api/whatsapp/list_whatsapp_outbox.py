from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.outbox_response import OutboxResponse
from ...models.outbox_state import OutboxState
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    state: OutboxState | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_state: str | Unset = UNSET
    if not isinstance(state, Unset):
        json_state = state.value

    params["state"] = json_state

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v1/whatsapp/outbox",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> OutboxResponse | Problem | None:
    if response.status_code == 200:
        response_200 = OutboxResponse.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())

        return response_422

    if response.status_code == 429:
        response_429 = Problem.from_dict(response.json())

        return response_429

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[OutboxResponse | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    state: OutboxState | Unset = UNSET,
) -> Response[OutboxResponse | Problem]:
    """`GET /api/v1/whatsapp/outbox?state=dead`: outbox jobs (no content).

    Args:
        state (OutboxState | Unset): Where an outbox job stands: waiting for its next attempt,
            handed to
             the Cloud API, accepted (never sent again), or failed for good.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[OutboxResponse | Problem]
    """

    kwargs = _get_kwargs(
        state=state,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    state: OutboxState | Unset = UNSET,
) -> OutboxResponse | Problem | None:
    """`GET /api/v1/whatsapp/outbox?state=dead`: outbox jobs (no content).

    Args:
        state (OutboxState | Unset): Where an outbox job stands: waiting for its next attempt,
            handed to
             the Cloud API, accepted (never sent again), or failed for good.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        OutboxResponse | Problem
    """

    return sync_detailed(
        client=client,
        state=state,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    state: OutboxState | Unset = UNSET,
) -> Response[OutboxResponse | Problem]:
    """`GET /api/v1/whatsapp/outbox?state=dead`: outbox jobs (no content).

    Args:
        state (OutboxState | Unset): Where an outbox job stands: waiting for its next attempt,
            handed to
             the Cloud API, accepted (never sent again), or failed for good.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[OutboxResponse | Problem]
    """

    kwargs = _get_kwargs(
        state=state,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    state: OutboxState | Unset = UNSET,
) -> OutboxResponse | Problem | None:
    """`GET /api/v1/whatsapp/outbox?state=dead`: outbox jobs (no content).

    Args:
        state (OutboxState | Unset): Where an outbox job stands: waiting for its next attempt,
            handed to
             the Cloud API, accepted (never sent again), or failed for good.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        OutboxResponse | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            state=state,
        )
    ).parsed
