from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="SafeguardResponse")


@_attrs_define
class SafeguardResponse:
    """One safeguard as configured.

    Attributes:
        hipaa (str): The HIPAA Security Rule section it implements (`164.312(d)`).
        id (str):
        ok (bool): The setting meets hippo's recommendation.
        setting (str): The setting in words.
        title (str):
    """

    hipaa: str
    id: str
    ok: bool
    setting: str
    title: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        hipaa = self.hipaa

        id = self.id

        ok = self.ok

        setting = self.setting

        title = self.title

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "hipaa": hipaa,
                "id": id,
                "ok": ok,
                "setting": setting,
                "title": title,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        hipaa = d.pop("hipaa")

        id = d.pop("id")

        ok = d.pop("ok")

        setting = d.pop("setting")

        title = d.pop("title")

        safeguard_response = cls(
            hipaa=hipaa,
            id=id,
            ok=ok,
            setting=setting,
            title=title,
        )

        safeguard_response.additional_properties = d
        return safeguard_response

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
