from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.api_key_response import ApiKeyResponse


T = TypeVar("T", bound="CreatedApiKeyResponse")


@_attrs_define
class CreatedApiKeyResponse:
    """A new key: the only time `key` is shown.

    Attributes:
        api_key (ApiKeyResponse): An API key as administrators see it (never the key).
        expires_at (datetime.datetime):
        id (str):
        key (str): `hpk_…`: send as `Authorization: Bearer hpk_…`. Shown once; hippo
            keeps only its hash.
        name (str):
    """

    api_key: ApiKeyResponse
    expires_at: datetime.datetime
    id: str
    key: str
    name: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        api_key = self.api_key.to_dict()

        expires_at = self.expires_at.isoformat()

        id = self.id

        key = self.key

        name = self.name

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "api_key": api_key,
                "expires_at": expires_at,
                "id": id,
                "key": key,
                "name": name,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.api_key_response import ApiKeyResponse  # noqa: PLC0415

        d = dict(src_dict)
        api_key = ApiKeyResponse.from_dict(d.pop("api_key"))

        expires_at = datetime.datetime.fromisoformat(d.pop("expires_at"))

        id = d.pop("id")

        key = d.pop("key")

        name = d.pop("name")

        created_api_key_response = cls(
            api_key=api_key,
            expires_at=expires_at,
            id=id,
            key=key,
            name=name,
        )

        created_api_key_response.additional_properties = d
        return created_api_key_response

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
