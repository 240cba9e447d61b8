from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.grant_filter import GrantFilter
from ...models.problem import Problem
from ...models.queue_response import QueueResponse
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    status: GrantFilter | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_status: str | Unset = UNSET
    if not isinstance(status, Unset):
        json_status = status.value

    params["status"] = json_status

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v1/break-glass",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Problem | QueueResponse | None:
    if response.status_code == 200:
        response_200 = QueueResponse.from_dict(response.json())

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
) -> Response[Problem | QueueResponse]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    status: GrantFilter | Unset = UNSET,
) -> Response[Problem | QueueResponse]:
    """`GET /api/v1/break-glass?status=pending|all` (auditors): the review queue.

    Args:
        status (GrantFilter | Unset): Which break-glass grants to list: those awaiting review, or
            all.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | QueueResponse]
    """

    kwargs = _get_kwargs(
        status=status,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    status: GrantFilter | Unset = UNSET,
) -> Problem | QueueResponse | None:
    """`GET /api/v1/break-glass?status=pending|all` (auditors): the review queue.

    Args:
        status (GrantFilter | Unset): Which break-glass grants to list: those awaiting review, or
            all.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | QueueResponse
    """

    return sync_detailed(
        client=client,
        status=status,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    status: GrantFilter | Unset = UNSET,
) -> Response[Problem | QueueResponse]:
    """`GET /api/v1/break-glass?status=pending|all` (auditors): the review queue.

    Args:
        status (GrantFilter | Unset): Which break-glass grants to list: those awaiting review, or
            all.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | QueueResponse]
    """

    kwargs = _get_kwargs(
        status=status,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    status: GrantFilter | Unset = UNSET,
) -> Problem | QueueResponse | None:
    """`GET /api/v1/break-glass?status=pending|all` (auditors): the review queue.

    Args:
        status (GrantFilter | Unset): Which break-glass grants to list: those awaiting review, or
            all.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | QueueResponse
    """

    return (
        await asyncio_detailed(
            client=client,
            status=status,
        )
    ).parsed
