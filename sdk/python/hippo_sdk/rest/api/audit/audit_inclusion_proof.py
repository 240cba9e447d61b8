from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.inclusion_response import InclusionResponse
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    seq: int,
    tree_size: int | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["seq"] = seq

    params["tree_size"] = tree_size

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v1/audit/proof/inclusion",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> InclusionResponse | Problem | None:
    if response.status_code == 200:
        response_200 = InclusionResponse.from_dict(response.json())

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
) -> Response[InclusionResponse | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    seq: int,
    tree_size: int | Unset = UNSET,
) -> Response[InclusionResponse | Problem]:
    """`GET /api/v1/audit/proof/inclusion?seq=N&tree_size=M`: the proof that
    record `seq` is in the tree of `tree_size` records (default: the newest
    signed head's).

    Args:
        seq (int):
        tree_size (int | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[InclusionResponse | Problem]
    """

    kwargs = _get_kwargs(
        seq=seq,
        tree_size=tree_size,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    seq: int,
    tree_size: int | Unset = UNSET,
) -> InclusionResponse | Problem | None:
    """`GET /api/v1/audit/proof/inclusion?seq=N&tree_size=M`: the proof that
    record `seq` is in the tree of `tree_size` records (default: the newest
    signed head's).

    Args:
        seq (int):
        tree_size (int | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        InclusionResponse | Problem
    """

    return sync_detailed(
        client=client,
        seq=seq,
        tree_size=tree_size,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    seq: int,
    tree_size: int | Unset = UNSET,
) -> Response[InclusionResponse | Problem]:
    """`GET /api/v1/audit/proof/inclusion?seq=N&tree_size=M`: the proof that
    record `seq` is in the tree of `tree_size` records (default: the newest
    signed head's).

    Args:
        seq (int):
        tree_size (int | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[InclusionResponse | Problem]
    """

    kwargs = _get_kwargs(
        seq=seq,
        tree_size=tree_size,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    seq: int,
    tree_size: int | Unset = UNSET,
) -> InclusionResponse | Problem | None:
    """`GET /api/v1/audit/proof/inclusion?seq=N&tree_size=M`: the proof that
    record `seq` is in the tree of `tree_size` records (default: the newest
    signed head's).

    Args:
        seq (int):
        tree_size (int | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        InclusionResponse | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            seq=seq,
            tree_size=tree_size,
        )
    ).parsed
