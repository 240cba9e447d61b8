from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.fhir_resource import FhirResource
from ...models.operation_outcome import OperationOutcome
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    field_format_: str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["_format"] = field_format_

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/fhir/r4/metadata",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> FhirResource | OperationOutcome | None:
    if response.status_code == 200:
        response_200 = FhirResource.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = OperationOutcome.from_dict(response.json())

        return response_400

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
) -> Response[FhirResource | OperationOutcome]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    field_format_: str | Unset = UNSET,
) -> Response[FhirResource | OperationOutcome]:
    """`GET /fhir/r4/metadata`: the CapabilityStatement (FHIR 4.0.1, JSON, the
    two resources and their interactions). Public: it says what the server
    does, nothing about anyone's data.

    Args:
        field_format_ (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[FhirResource | OperationOutcome]
    """

    kwargs = _get_kwargs(
        field_format_=field_format_,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    field_format_: str | Unset = UNSET,
) -> FhirResource | OperationOutcome | None:
    """`GET /fhir/r4/metadata`: the CapabilityStatement (FHIR 4.0.1, JSON, the
    two resources and their interactions). Public: it says what the server
    does, nothing about anyone's data.

    Args:
        field_format_ (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        FhirResource | OperationOutcome
    """

    return sync_detailed(
        client=client,
        field_format_=field_format_,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    field_format_: str | Unset = UNSET,
) -> Response[FhirResource | OperationOutcome]:
    """`GET /fhir/r4/metadata`: the CapabilityStatement (FHIR 4.0.1, JSON, the
    two resources and their interactions). Public: it says what the server
    does, nothing about anyone's data.

    Args:
        field_format_ (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[FhirResource | OperationOutcome]
    """

    kwargs = _get_kwargs(
        field_format_=field_format_,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    field_format_: str | Unset = UNSET,
) -> FhirResource | OperationOutcome | None:
    """`GET /fhir/r4/metadata`: the CapabilityStatement (FHIR 4.0.1, JSON, the
    two resources and their interactions). Public: it says what the server
    does, nothing about anyone's data.

    Args:
        field_format_ (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        FhirResource | OperationOutcome
    """

    return (
        await asyncio_detailed(
            client=client,
            field_format_=field_format_,
        )
    ).parsed
