import datetime
from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.fhir_bundle import FhirBundle
from ...models.operation_outcome import OperationOutcome
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    patient: str | Unset = UNSET,
    subject: str | Unset = UNSET,
    field_since: datetime.datetime | Unset = UNSET,
    field_count: int | Unset = UNSET,
    field_cursor: int | Unset = UNSET,
    field_format_: str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["patient"] = patient

    params["subject"] = subject

    json_field_since: str | Unset = UNSET
    if not isinstance(field_since, Unset):
        json_field_since = field_since.isoformat()
    params["_since"] = json_field_since

    params["_count"] = field_count

    params["_cursor"] = field_cursor

    params["_format"] = field_format_

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/fhir/r4/Communication",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> FhirBundle | OperationOutcome | None:
    if response.status_code == 200:
        response_200 = FhirBundle.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = OperationOutcome.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = OperationOutcome.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = OperationOutcome.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = OperationOutcome.from_dict(response.json())

        return response_404

    if response.status_code == 406:
        response_406 = OperationOutcome.from_dict(response.json())

        return response_406

    if response.status_code == 422:
        response_422 = OperationOutcome.from_dict(response.json())

        return response_422

    if response.status_code == 429:
        response_429 = OperationOutcome.from_dict(response.json())

        return response_429

    if response.status_code == 503:
        response_503 = OperationOutcome.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[FhirBundle | OperationOutcome]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    patient: str | Unset = UNSET,
    subject: str | Unset = UNSET,
    field_since: datetime.datetime | Unset = UNSET,
    field_count: int | Unset = UNSET,
    field_cursor: int | Unset = UNSET,
    field_format_: str | Unset = UNSET,
) -> Response[FhirBundle | OperationOutcome]:
    """`GET /fhir/r4/Communication?patient=<id>&_since=<instant>&_count=N`:
    the patient conversation's messages as a `searchset` Bundle of
    Communication, oldest first, with a `next` link while more remain. For
    the patient's care team only (anyone else: 404, recorded as denied);
    each page is recorded as `conversation.read` with `"via": "fhir"`.

    Args:
        patient (str | Unset):
        subject (str | Unset):
        field_since (datetime.datetime | Unset):
        field_count (int | Unset):
        field_cursor (int | Unset):
        field_format_ (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[FhirBundle | OperationOutcome]
    """

    kwargs = _get_kwargs(
        patient=patient,
        subject=subject,
        field_since=field_since,
        field_count=field_count,
        field_cursor=field_cursor,
        field_format_=field_format_,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    patient: str | Unset = UNSET,
    subject: str | Unset = UNSET,
    field_since: datetime.datetime | Unset = UNSET,
    field_count: int | Unset = UNSET,
    field_cursor: int | Unset = UNSET,
    field_format_: str | Unset = UNSET,
) -> FhirBundle | OperationOutcome | None:
    """`GET /fhir/r4/Communication?patient=<id>&_since=<instant>&_count=N`:
    the patient conversation's messages as a `searchset` Bundle of
    Communication, oldest first, with a `next` link while more remain. For
    the patient's care team only (anyone else: 404, recorded as denied);
    each page is recorded as `conversation.read` with `"via": "fhir"`.

    Args:
        patient (str | Unset):
        subject (str | Unset):
        field_since (datetime.datetime | Unset):
        field_count (int | Unset):
        field_cursor (int | Unset):
        field_format_ (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        FhirBundle | OperationOutcome
    """

    return sync_detailed(
        client=client,
        patient=patient,
        subject=subject,
        field_since=field_since,
        field_count=field_count,
        field_cursor=field_cursor,
        field_format_=field_format_,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    patient: str | Unset = UNSET,
    subject: str | Unset = UNSET,
    field_since: datetime.datetime | Unset = UNSET,
    field_count: int | Unset = UNSET,
    field_cursor: int | Unset = UNSET,
    field_format_: str | Unset = UNSET,
) -> Response[FhirBundle | OperationOutcome]:
    """`GET /fhir/r4/Communication?patient=<id>&_since=<instant>&_count=N`:
    the patient conversation's messages as a `searchset` Bundle of
    Communication, oldest first, with a `next` link while more remain. For
    the patient's care team only (anyone else: 404, recorded as denied);
    each page is recorded as `conversation.read` with `"via": "fhir"`.

    Args:
        patient (str | Unset):
        subject (str | Unset):
        field_since (datetime.datetime | Unset):
        field_count (int | Unset):
        field_cursor (int | Unset):
        field_format_ (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[FhirBundle | OperationOutcome]
    """

    kwargs = _get_kwargs(
        patient=patient,
        subject=subject,
        field_since=field_since,
        field_count=field_count,
        field_cursor=field_cursor,
        field_format_=field_format_,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    patient: str | Unset = UNSET,
    subject: str | Unset = UNSET,
    field_since: datetime.datetime | Unset = UNSET,
    field_count: int | Unset = UNSET,
    field_cursor: int | Unset = UNSET,
    field_format_: str | Unset = UNSET,
) -> FhirBundle | OperationOutcome | None:
    """`GET /fhir/r4/Communication?patient=<id>&_since=<instant>&_count=N`:
    the patient conversation's messages as a `searchset` Bundle of
    Communication, oldest first, with a `next` link while more remain. For
    the patient's care team only (anyone else: 404, recorded as denied);
    each page is recorded as `conversation.read` with `"via": "fhir"`.

    Args:
        patient (str | Unset):
        subject (str | Unset):
        field_since (datetime.datetime | Unset):
        field_count (int | Unset):
        field_cursor (int | Unset):
        field_format_ (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        FhirBundle | OperationOutcome
    """

    return (
        await asyncio_detailed(
            client=client,
            patient=patient,
            subject=subject,
            field_since=field_since,
            field_count=field_count,
            field_cursor=field_cursor,
            field_format_=field_format_,
        )
    ).parsed
