from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.ice_server_response import IceServerResponse


T = TypeVar("T", bound="IceServersResponse")


@_attrs_define
class IceServersResponse:
    """
    Attributes:
        expires_at (datetime.datetime): When the TURN credentials stop working.
        ice_servers (list[IceServerResponse]):
    """

    expires_at: datetime.datetime
    ice_servers: list[IceServerResponse]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        expires_at = self.expires_at.isoformat()

        ice_servers = []
        for ice_servers_item_data in self.ice_servers:
            ice_servers_item = ice_servers_item_data.to_dict()
            ice_servers.append(ice_servers_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "expires_at": expires_at,
                "ice_servers": ice_servers,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.ice_server_response import IceServerResponse  # noqa: PLC0415

        d = dict(src_dict)
        expires_at = datetime.datetime.fromisoformat(d.pop("expires_at"))

        ice_servers = []
        _ice_servers = d.pop("ice_servers")
        for ice_servers_item_data in _ice_servers:
            ice_servers_item = IceServerResponse.from_dict(ice_servers_item_data)

            ice_servers.append(ice_servers_item)

        ice_servers_response = cls(
            expires_at=expires_at,
            ice_servers=ice_servers,
        )

        ice_servers_response.additional_properties = d
        return ice_servers_response

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
