from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.fhir_resource import FhirResource
from ...models.operation_outcome import OperationOutcome
from ...types import Response


def _get_kwargs(
    *,
    body: FhirResource,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/fhir/r4/CommunicationRequest",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/fhir+json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> FhirResource | OperationOutcome | None:
    if response.status_code == 201:
        response_201 = FhirResource.from_dict(response.json())

        return response_201

    if response.status_code == 400:
        response_400 = OperationOutcome.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = OperationOutcome.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = OperationOutcome.from_dict(response.json())

        return response_403

    if response.status_code == 406:
        response_406 = OperationOutcome.from_dict(response.json())

        return response_406

    if response.status_code == 413:
        response_413 = OperationOutcome.from_dict(response.json())

        return response_413

    if response.status_code == 415:
        response_415 = OperationOutcome.from_dict(response.json())

        return response_415

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
    client: AuthenticatedClient,
    body: FhirResource,
) -> Response[FhirResource | OperationOutcome]:
    """`POST /fhir/r4/CommunicationRequest`: a CommunicationRequest becomes a
    message (through the same send as `sendMessage`: audited, sequenced,
    webhooks) to the patient's care team (`subject` = `Patient/<id>`) or to
    the conversation a `recipient` names (`Group/<conversation id>`). A
    retry with the same `identifier[0].value` returns the first message.
    201 with the accepted request (its `id` is the message's), or with no
    body for `Prefer: return=minimal`, or an OperationOutcome for
    `Prefer: return=OperationOutcome`; `Location` names it.

    Args:
        body (FhirResource): A FHIR R4 resource in JSON (<https://hl7.org/fhir/R4/json.html>): its
            `resourceType` and elements (CommunicationRequest, CapabilityStatement).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[FhirResource | OperationOutcome]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    body: FhirResource,
) -> FhirResource | OperationOutcome | None:
    """`POST /fhir/r4/CommunicationRequest`: a CommunicationRequest becomes a
    message (through the same send as `sendMessage`: audited, sequenced,
    webhooks) to the patient's care team (`subject` = `Patient/<id>`) or to
    the conversation a `recipient` names (`Group/<conversation id>`). A
    retry with the same `identifier[0].value` returns the first message.
    201 with the accepted request (its `id` is the message's), or with no
    body for `Prefer: return=minimal`, or an OperationOutcome for
    `Prefer: return=OperationOutcome`; `Location` names it.

    Args:
        body (FhirResource): A FHIR R4 resource in JSON (<https://hl7.org/fhir/R4/json.html>): its
            `resourceType` and elements (CommunicationRequest, CapabilityStatement).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        FhirResource | OperationOutcome
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: FhirResource,
) -> Response[FhirResource | OperationOutcome]:
    """`POST /fhir/r4/CommunicationRequest`: a CommunicationRequest becomes a
    message (through the same send as `sendMessage`: audited, sequenced,
    webhooks) to the patient's care team (`subject` = `Patient/<id>`) or to
    the conversation a `recipient` names (`Group/<conversation id>`). A
    retry with the same `identifier[0].value` returns the first message.
    201 with the accepted request (its `id` is the message's), or with no
    body for `Prefer: return=minimal`, or an OperationOutcome for
    `Prefer: return=OperationOutcome`; `Location` names it.

    Args:
        body (FhirResource): A FHIR R4 resource in JSON (<https://hl7.org/fhir/R4/json.html>): its
            `resourceType` and elements (CommunicationRequest, CapabilityStatement).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[FhirResource | OperationOutcome]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: FhirResource,
) -> FhirResource | OperationOutcome | None:
    """`POST /fhir/r4/CommunicationRequest`: a CommunicationRequest becomes a
    message (through the same send as `sendMessage`: audited, sequenced,
    webhooks) to the patient's care team (`subject` = `Patient/<id>`) or to
    the conversation a `recipient` names (`Group/<conversation id>`). A
    retry with the same `identifier[0].value` returns the first message.
    201 with the accepted request (its `id` is the message's), or with no
    body for `Prefer: return=minimal`, or an OperationOutcome for
    `Prefer: return=OperationOutcome`; `Location` names it.

    Args:
        body (FhirResource): A FHIR R4 resource in JSON (<https://hl7.org/fhir/R4/json.html>): its
            `resourceType` and elements (CommunicationRequest, CapabilityStatement).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        FhirResource | OperationOutcome
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
