from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.export_patient_response_200 import ExportPatientResponse200
from ...models.patient_export_format import PatientExportFormat
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    id: str,
    *,
    format_: PatientExportFormat | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_format_: str | Unset = UNSET
    if not isinstance(format_, Unset):
        json_format_ = format_.value

    params["format"] = json_format_

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v1/patients/{id}/export".format(
            id=quote(str(id), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ExportPatientResponse200 | Problem | None:
    if response.status_code == 200:
        response_200 = ExportPatientResponse200.from_dict(response.json())

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

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

    if response.status_code == 413:
        response_413 = Problem.from_dict(response.json())

        return response_413

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
) -> Response[ExportPatientResponse200 | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    id: str,
    *,
    client: AuthenticatedClient,
    format_: PatientExportFormat | Unset = UNSET,
) -> Response[ExportPatientResponse200 | Problem]:
    """`GET /api/v1/patients/{id}/export?format=fhir|html` (the patient's care
    team): every message to and from the patient with its files, as a
    FHIR R4 `collection` Bundle (`Patient`, then one `Communication` per
    message, files inline) or a printable page. Recorded as `patient.export`.

    Args:
        id (str):
        format_ (PatientExportFormat | Unset): The patient export as a FHIR R4 Bundle, or as a
            readable page.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ExportPatientResponse200 | Problem]
    """

    kwargs = _get_kwargs(
        id=id,
        format_=format_,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    id: str,
    *,
    client: AuthenticatedClient,
    format_: PatientExportFormat | Unset = UNSET,
) -> ExportPatientResponse200 | Problem | None:
    """`GET /api/v1/patients/{id}/export?format=fhir|html` (the patient's care
    team): every message to and from the patient with its files, as a
    FHIR R4 `collection` Bundle (`Patient`, then one `Communication` per
    message, files inline) or a printable page. Recorded as `patient.export`.

    Args:
        id (str):
        format_ (PatientExportFormat | Unset): The patient export as a FHIR R4 Bundle, or as a
            readable page.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ExportPatientResponse200 | Problem
    """

    return sync_detailed(
        id=id,
        client=client,
        format_=format_,
    ).parsed


async def asyncio_detailed(
    id: str,
    *,
    client: AuthenticatedClient,
    format_: PatientExportFormat | Unset = UNSET,
) -> Response[ExportPatientResponse200 | Problem]:
    """`GET /api/v1/patients/{id}/export?format=fhir|html` (the patient's care
    team): every message to and from the patient with its files, as a
    FHIR R4 `collection` Bundle (`Patient`, then one `Communication` per
    message, files inline) or a printable page. Recorded as `patient.export`.

    Args:
        id (str):
        format_ (PatientExportFormat | Unset): The patient export as a FHIR R4 Bundle, or as a
            readable page.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ExportPatientResponse200 | Problem]
    """

    kwargs = _get_kwargs(
        id=id,
        format_=format_,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    id: str,
    *,
    client: AuthenticatedClient,
    format_: PatientExportFormat | Unset = UNSET,
) -> ExportPatientResponse200 | Problem | None:
    """`GET /api/v1/patients/{id}/export?format=fhir|html` (the patient's care
    team): every message to and from the patient with its files, as a
    FHIR R4 `collection` Bundle (`Patient`, then one `Communication` per
    message, files inline) or a printable page. Recorded as `patient.export`.

    Args:
        id (str):
        format_ (PatientExportFormat | Unset): The patient export as a FHIR R4 Bundle, or as a
            readable page.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ExportPatientResponse200 | Problem
    """

    return (
        await asyncio_detailed(
            id=id,
            client=client,
            format_=format_,
        )
    ).parsed
