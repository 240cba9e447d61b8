from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.report_format import ReportFormat
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    format_: ReportFormat | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_format_: str | Unset = UNSET
    if not isinstance(format_, Unset):
        json_format_ = format_.value

    params["format"] = json_format_

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v1/compliance/report",
        "params": params,
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Problem | str | None:
    if response.status_code == 200:
        response_200 = response.text
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


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Problem | str]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    format_: ReportFormat | Unset = UNSET,
) -> Response[Problem | str]:
    """`GET /api/v1/compliance/report?format=json|html`: the compliance
    evidence report (administrators and auditors): each safeguard and its
    setting, the findings to act on, and the evidence behind them, as JSON
    or as a printable page with charts of the last 30 days. Recorded in the
    trail.

    Args:
        format_ (ReportFormat | Unset): The evidence report as JSON, or as a printable HTML page
            with charts.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | str]
    """

    kwargs = _get_kwargs(
        format_=format_,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    format_: ReportFormat | Unset = UNSET,
) -> Problem | str | None:
    """`GET /api/v1/compliance/report?format=json|html`: the compliance
    evidence report (administrators and auditors): each safeguard and its
    setting, the findings to act on, and the evidence behind them, as JSON
    or as a printable page with charts of the last 30 days. Recorded in the
    trail.

    Args:
        format_ (ReportFormat | Unset): The evidence report as JSON, or as a printable HTML page
            with charts.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | str
    """

    return sync_detailed(
        client=client,
        format_=format_,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    format_: ReportFormat | Unset = UNSET,
) -> Response[Problem | str]:
    """`GET /api/v1/compliance/report?format=json|html`: the compliance
    evidence report (administrators and auditors): each safeguard and its
    setting, the findings to act on, and the evidence behind them, as JSON
    or as a printable page with charts of the last 30 days. Recorded in the
    trail.

    Args:
        format_ (ReportFormat | Unset): The evidence report as JSON, or as a printable HTML page
            with charts.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | str]
    """

    kwargs = _get_kwargs(
        format_=format_,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    format_: ReportFormat | Unset = UNSET,
) -> Problem | str | None:
    """`GET /api/v1/compliance/report?format=json|html`: the compliance
    evidence report (administrators and auditors): each safeguard and its
    setting, the findings to act on, and the evidence behind them, as JSON
    or as a printable page with charts of the last 30 days. Recorded in the
    trail.

    Args:
        format_ (ReportFormat | Unset): The evidence report as JSON, or as a printable HTML page
            with charts.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | str
    """

    return (
        await asyncio_detailed(
            client=client,
            format_=format_,
        )
    ).parsed
