from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="UserSessionResponse")


@_attrs_define
class UserSessionResponse:
    """A sign-in session of a user, as administrators see it (never its token).

    Attributes:
        created_at (datetime.datetime):
        expires_at (datetime.datetime): Absolute end of the session.
        id (str):
        idle_expires_at (datetime.datetime): When it ends if idle from now on.
        last_seen_at (datetime.datetime): The last request (recorded at most once a minute).
        user_id (str):
        ip (None | str | Unset):
        user_agent (None | str | Unset): At most 120 characters.
    """

    created_at: datetime.datetime
    expires_at: datetime.datetime
    id: str
    idle_expires_at: datetime.datetime
    last_seen_at: datetime.datetime
    user_id: str
    ip: None | str | Unset = UNSET
    user_agent: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        created_at = self.created_at.isoformat()

        expires_at = self.expires_at.isoformat()

        id = self.id

        idle_expires_at = self.idle_expires_at.isoformat()

        last_seen_at = self.last_seen_at.isoformat()

        user_id = self.user_id

        ip: None | str | Unset
        if isinstance(self.ip, Unset):
            ip = UNSET
        else:
            ip = self.ip

        user_agent: None | str | Unset
        if isinstance(self.user_agent, Unset):
            user_agent = UNSET
        else:
            user_agent = self.user_agent

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "created_at": created_at,
                "expires_at": expires_at,
                "id": id,
                "idle_expires_at": idle_expires_at,
                "last_seen_at": last_seen_at,
                "user_id": user_id,
            }
        )
        if ip is not UNSET:
            field_dict["ip"] = ip
        if user_agent is not UNSET:
            field_dict["user_agent"] = user_agent

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        expires_at = datetime.datetime.fromisoformat(d.pop("expires_at"))

        id = d.pop("id")

        idle_expires_at = datetime.datetime.fromisoformat(d.pop("idle_expires_at"))

        last_seen_at = datetime.datetime.fromisoformat(d.pop("last_seen_at"))

        user_id = d.pop("user_id")

        def _parse_ip(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        ip = _parse_ip(d.pop("ip", UNSET))

        def _parse_user_agent(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        user_agent = _parse_user_agent(d.pop("user_agent", UNSET))

        user_session_response = cls(
            created_at=created_at,
            expires_at=expires_at,
            id=id,
            idle_expires_at=idle_expires_at,
            last_seen_at=last_seen_at,
            user_id=user_id,
            ip=ip,
            user_agent=user_agent,
        )

        user_session_response.additional_properties = d
        return user_session_response

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
