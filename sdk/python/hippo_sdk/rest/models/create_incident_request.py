from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="CreateIncidentRequest")


@_attrs_define
class CreateIncidentRequest:
    """
    Attributes:
        discovered_at (datetime.datetime): The first day anyone in the organisation knew of it (or should
            have): the 60-day clock runs from here.
        since (datetime.datetime):
        summary (str): What happened, for the record (10 to 2000 characters; sealed).
        until (datetime.datetime):
        actor_id (None | str | Unset): The scope to search the trail in: an account, a session or an
            address (at least one), and the window.
        ip (None | str | Unset):
        session_id (None | str | Unset):
    """

    discovered_at: datetime.datetime
    since: datetime.datetime
    summary: str
    until: datetime.datetime
    actor_id: None | str | Unset = UNSET
    ip: None | str | Unset = UNSET
    session_id: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        discovered_at = self.discovered_at.isoformat()

        since = self.since.isoformat()

        summary = self.summary

        until = self.until.isoformat()

        actor_id: None | str | Unset
        if isinstance(self.actor_id, Unset):
            actor_id = UNSET
        else:
            actor_id = self.actor_id

        ip: None | str | Unset
        if isinstance(self.ip, Unset):
            ip = UNSET
        else:
            ip = self.ip

        session_id: None | str | Unset
        if isinstance(self.session_id, Unset):
            session_id = UNSET
        else:
            session_id = self.session_id

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "discovered_at": discovered_at,
                "since": since,
                "summary": summary,
                "until": until,
            }
        )
        if actor_id is not UNSET:
            field_dict["actor_id"] = actor_id
        if ip is not UNSET:
            field_dict["ip"] = ip
        if session_id is not UNSET:
            field_dict["session_id"] = session_id

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        discovered_at = datetime.datetime.fromisoformat(d.pop("discovered_at"))

        since = datetime.datetime.fromisoformat(d.pop("since"))

        summary = d.pop("summary")

        until = datetime.datetime.fromisoformat(d.pop("until"))

        def _parse_actor_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        actor_id = _parse_actor_id(d.pop("actor_id", UNSET))

        def _parse_ip(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        ip = _parse_ip(d.pop("ip", UNSET))

        def _parse_session_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        session_id = _parse_session_id(d.pop("session_id", UNSET))

        create_incident_request = cls(
            discovered_at=discovered_at,
            since=since,
            summary=summary,
            until=until,
            actor_id=actor_id,
            ip=ip,
            session_id=session_id,
        )

        return create_incident_request
