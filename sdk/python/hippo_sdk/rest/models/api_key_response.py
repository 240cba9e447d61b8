from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.api_key_state import ApiKeyState
from ..types import UNSET, Unset

T = TypeVar("T", bound="ApiKeyResponse")


@_attrs_define
class ApiKeyResponse:
    """An API key as administrators see it (never the key).

    Attributes:
        allowed_ips (list[str]):
        created_at (datetime.datetime):
        expires_at (datetime.datetime):
        id (str): The key's id: audit records of its uses carry it as `session_id`.
        name (str):
        state (ApiKeyState): Whether an API key works: active, past its expiry, or revoked.
        user_id (str):
        client_cert_sha256 (None | str | Unset):
        created_by (None | str | Unset): The administrator who created it (null: the operator's CLI).
        last_used_at (datetime.datetime | None | Unset): Within a minute; null until first used.
        revoked_at (datetime.datetime | None | Unset):
    """

    allowed_ips: list[str]
    created_at: datetime.datetime
    expires_at: datetime.datetime
    id: str
    name: str
    state: ApiKeyState
    user_id: str
    client_cert_sha256: None | str | Unset = UNSET
    created_by: None | str | Unset = UNSET
    last_used_at: datetime.datetime | None | Unset = UNSET
    revoked_at: datetime.datetime | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        allowed_ips = self.allowed_ips

        created_at = self.created_at.isoformat()

        expires_at = self.expires_at.isoformat()

        id = self.id

        name = self.name

        state = self.state.value

        user_id = self.user_id

        client_cert_sha256: None | str | Unset
        if isinstance(self.client_cert_sha256, Unset):
            client_cert_sha256 = UNSET
        else:
            client_cert_sha256 = self.client_cert_sha256

        created_by: None | str | Unset
        if isinstance(self.created_by, Unset):
            created_by = UNSET
        else:
            created_by = self.created_by

        last_used_at: None | str | Unset
        if isinstance(self.last_used_at, Unset):
            last_used_at = UNSET
        elif isinstance(self.last_used_at, datetime.datetime):
            last_used_at = self.last_used_at.isoformat()
        else:
            last_used_at = self.last_used_at

        revoked_at: None | str | Unset
        if isinstance(self.revoked_at, Unset):
            revoked_at = UNSET
        elif isinstance(self.revoked_at, datetime.datetime):
            revoked_at = self.revoked_at.isoformat()
        else:
            revoked_at = self.revoked_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "allowed_ips": allowed_ips,
                "created_at": created_at,
                "expires_at": expires_at,
                "id": id,
                "name": name,
                "state": state,
                "user_id": user_id,
            }
        )
        if client_cert_sha256 is not UNSET:
            field_dict["client_cert_sha256"] = client_cert_sha256
        if created_by is not UNSET:
            field_dict["created_by"] = created_by
        if last_used_at is not UNSET:
            field_dict["last_used_at"] = last_used_at
        if revoked_at is not UNSET:
            field_dict["revoked_at"] = revoked_at

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        allowed_ips = cast(list[str], d.pop("allowed_ips"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        expires_at = datetime.datetime.fromisoformat(d.pop("expires_at"))

        id = d.pop("id")

        name = d.pop("name")

        state = ApiKeyState(d.pop("state"))

        user_id = d.pop("user_id")

        def _parse_client_cert_sha256(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        client_cert_sha256 = _parse_client_cert_sha256(d.pop("client_cert_sha256", UNSET))

        def _parse_created_by(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        created_by = _parse_created_by(d.pop("created_by", UNSET))

        def _parse_last_used_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                last_used_at_type_0 = datetime.datetime.fromisoformat(data)

                return last_used_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        last_used_at = _parse_last_used_at(d.pop("last_used_at", UNSET))

        def _parse_revoked_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                revoked_at_type_0 = datetime.datetime.fromisoformat(data)

                return revoked_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        revoked_at = _parse_revoked_at(d.pop("revoked_at", UNSET))

        api_key_response = cls(
            allowed_ips=allowed_ips,
            created_at=created_at,
            expires_at=expires_at,
            id=id,
            name=name,
            state=state,
            user_id=user_id,
            client_cert_sha256=client_cert_sha256,
            created_by=created_by,
            last_used_at=last_used_at,
            revoked_at=revoked_at,
        )

        api_key_response.additional_properties = d
        return api_key_response

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
