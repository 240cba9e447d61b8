from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="TallyResponse")


@_attrs_define
class TallyResponse:
    """
    Attributes:
        count (int):
        first_at (datetime.datetime):
        key (str): The actor, action, patient or `type/id` of a resource.
        last_at (datetime.datetime):
    """

    count: int
    first_at: datetime.datetime
    key: str
    last_at: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        count = self.count

        first_at = self.first_at.isoformat()

        key = self.key

        last_at = self.last_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "count": count,
                "first_at": first_at,
                "key": key,
                "last_at": last_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        count = d.pop("count")

        first_at = datetime.datetime.fromisoformat(d.pop("first_at"))

        key = d.pop("key")

        last_at = datetime.datetime.fromisoformat(d.pop("last_at"))

        tally_response = cls(
            count=count,
            first_at=first_at,
            key=key,
            last_at=last_at,
        )

        tally_response.additional_properties = d
        return tally_response

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
