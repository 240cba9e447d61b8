import datetime
from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.audit_action import AuditAction
from ...models.audit_page_response import AuditPageResponse
from ...models.outcome import Outcome
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    actor_id: str | Unset = UNSET,
    action: AuditAction | Unset = UNSET,
    resource_id: str | Unset = UNSET,
    patient_id: str | Unset = UNSET,
    outcome: Outcome | Unset = UNSET,
    session_id: str | Unset = UNSET,
    ip: str | Unset = UNSET,
    since: datetime.datetime | Unset = UNSET,
    until: datetime.datetime | Unset = UNSET,
    limit: int | Unset = UNSET,
    after_seq: int | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["actor_id"] = actor_id

    json_action: str | Unset = UNSET
    if not isinstance(action, Unset):
        json_action = action.value

    params["action"] = json_action

    params["resource_id"] = resource_id

    params["patient_id"] = patient_id

    json_outcome: str | Unset = UNSET
    if not isinstance(outcome, Unset):
        json_outcome = outcome.value

    params["outcome"] = json_outcome

    params["session_id"] = session_id

    params["ip"] = ip

    json_since: str | Unset = UNSET
    if not isinstance(since, Unset):
        json_since = since.isoformat()
    params["since"] = json_since

    json_until: str | Unset = UNSET
    if not isinstance(until, Unset):
        json_until = until.isoformat()
    params["until"] = json_until

    params["limit"] = limit

    params["after_seq"] = after_seq

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v1/audit",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> AuditPageResponse | Problem | None:
    if response.status_code == 200:
        response_200 = AuditPageResponse.from_dict(response.json())

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
) -> Response[AuditPageResponse | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    actor_id: str | Unset = UNSET,
    action: AuditAction | Unset = UNSET,
    resource_id: str | Unset = UNSET,
    patient_id: str | Unset = UNSET,
    outcome: Outcome | Unset = UNSET,
    session_id: str | Unset = UNSET,
    ip: str | Unset = UNSET,
    since: datetime.datetime | Unset = UNSET,
    until: datetime.datetime | Unset = UNSET,
    limit: int | Unset = UNSET,
    after_seq: int | Unset = UNSET,
) -> Response[AuditPageResponse | Problem]:
    """`GET /api/v1/audit`: records matching every given filter, oldest first.

    Args:
        actor_id (str | Unset):
        action (AuditAction | Unset): What was done, as recorded in the audit trail.
        resource_id (str | Unset):
        patient_id (str | Unset):
        outcome (Outcome | Unset): How the recorded attempt ended.
        session_id (str | Unset):
        ip (str | Unset):
        since (datetime.datetime | Unset):
        until (datetime.datetime | Unset):
        limit (int | Unset):
        after_seq (int | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AuditPageResponse | Problem]
    """

    kwargs = _get_kwargs(
        actor_id=actor_id,
        action=action,
        resource_id=resource_id,
        patient_id=patient_id,
        outcome=outcome,
        session_id=session_id,
        ip=ip,
        since=since,
        until=until,
        limit=limit,
        after_seq=after_seq,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    actor_id: str | Unset = UNSET,
    action: AuditAction | Unset = UNSET,
    resource_id: str | Unset = UNSET,
    patient_id: str | Unset = UNSET,
    outcome: Outcome | Unset = UNSET,
    session_id: str | Unset = UNSET,
    ip: str | Unset = UNSET,
    since: datetime.datetime | Unset = UNSET,
    until: datetime.datetime | Unset = UNSET,
    limit: int | Unset = UNSET,
    after_seq: int | Unset = UNSET,
) -> AuditPageResponse | Problem | None:
    """`GET /api/v1/audit`: records matching every given filter, oldest first.

    Args:
        actor_id (str | Unset):
        action (AuditAction | Unset): What was done, as recorded in the audit trail.
        resource_id (str | Unset):
        patient_id (str | Unset):
        outcome (Outcome | Unset): How the recorded attempt ended.
        session_id (str | Unset):
        ip (str | Unset):
        since (datetime.datetime | Unset):
        until (datetime.datetime | Unset):
        limit (int | Unset):
        after_seq (int | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AuditPageResponse | Problem
    """

    return sync_detailed(
        client=client,
        actor_id=actor_id,
        action=action,
        resource_id=resource_id,
        patient_id=patient_id,
        outcome=outcome,
        session_id=session_id,
        ip=ip,
        since=since,
        until=until,
        limit=limit,
        after_seq=after_seq,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    actor_id: str | Unset = UNSET,
    action: AuditAction | Unset = UNSET,
    resource_id: str | Unset = UNSET,
    patient_id: str | Unset = UNSET,
    outcome: Outcome | Unset = UNSET,
    session_id: str | Unset = UNSET,
    ip: str | Unset = UNSET,
    since: datetime.datetime | Unset = UNSET,
    until: datetime.datetime | Unset = UNSET,
    limit: int | Unset = UNSET,
    after_seq: int | Unset = UNSET,
) -> Response[AuditPageResponse | Problem]:
    """`GET /api/v1/audit`: records matching every given filter, oldest first.

    Args:
        actor_id (str | Unset):
        action (AuditAction | Unset): What was done, as recorded in the audit trail.
        resource_id (str | Unset):
        patient_id (str | Unset):
        outcome (Outcome | Unset): How the recorded attempt ended.
        session_id (str | Unset):
        ip (str | Unset):
        since (datetime.datetime | Unset):
        until (datetime.datetime | Unset):
        limit (int | Unset):
        after_seq (int | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AuditPageResponse | Problem]
    """

    kwargs = _get_kwargs(
        actor_id=actor_id,
        action=action,
        resource_id=resource_id,
        patient_id=patient_id,
        outcome=outcome,
        session_id=session_id,
        ip=ip,
        since=since,
        until=until,
        limit=limit,
        after_seq=after_seq,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    actor_id: str | Unset = UNSET,
    action: AuditAction | Unset = UNSET,
    resource_id: str | Unset = UNSET,
    patient_id: str | Unset = UNSET,
    outcome: Outcome | Unset = UNSET,
    session_id: str | Unset = UNSET,
    ip: str | Unset = UNSET,
    since: datetime.datetime | Unset = UNSET,
    until: datetime.datetime | Unset = UNSET,
    limit: int | Unset = UNSET,
    after_seq: int | Unset = UNSET,
) -> AuditPageResponse | Problem | None:
    """`GET /api/v1/audit`: records matching every given filter, oldest first.

    Args:
        actor_id (str | Unset):
        action (AuditAction | Unset): What was done, as recorded in the audit trail.
        resource_id (str | Unset):
        patient_id (str | Unset):
        outcome (Outcome | Unset): How the recorded attempt ended.
        session_id (str | Unset):
        ip (str | Unset):
        since (datetime.datetime | Unset):
        until (datetime.datetime | Unset):
        limit (int | Unset):
        after_seq (int | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AuditPageResponse | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            actor_id=actor_id,
            action=action,
            resource_id=resource_id,
            patient_id=patient_id,
            outcome=outcome,
            session_id=session_id,
            ip=ip,
            since=since,
            until=until,
            limit=limit,
            after_seq=after_seq,
        )
    ).parsed
