from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="TemplateResponse")


@_attrs_define
class TemplateResponse:
    """
    Attributes:
        category (str):
        language (str):
        name (str):
        parameter_count (int):
        phi_free (bool): Marked safe to send under `notify_only`.
        status (str):
        synced_at (datetime.datetime):
        body_text (None | str | Unset):
    """

    category: str
    language: str
    name: str
    parameter_count: int
    phi_free: bool
    status: str
    synced_at: datetime.datetime
    body_text: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        category = self.category

        language = self.language

        name = self.name

        parameter_count = self.parameter_count

        phi_free = self.phi_free

        status = self.status

        synced_at = self.synced_at.isoformat()

        body_text: None | str | Unset
        if isinstance(self.body_text, Unset):
            body_text = UNSET
        else:
            body_text = self.body_text

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "category": category,
                "language": language,
                "name": name,
                "parameter_count": parameter_count,
                "phi_free": phi_free,
                "status": status,
                "synced_at": synced_at,
            }
        )
        if body_text is not UNSET:
            field_dict["body_text"] = body_text

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        category = d.pop("category")

        language = d.pop("language")

        name = d.pop("name")

        parameter_count = d.pop("parameter_count")

        phi_free = d.pop("phi_free")

        status = d.pop("status")

        synced_at = datetime.datetime.fromisoformat(d.pop("synced_at"))

        def _parse_body_text(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        body_text = _parse_body_text(d.pop("body_text", UNSET))

        template_response = cls(
            category=category,
            language=language,
            name=name,
            parameter_count=parameter_count,
            phi_free=phi_free,
            status=status,
            synced_at=synced_at,
            body_text=body_text,
        )

        template_response.additional_properties = d
        return template_response

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
