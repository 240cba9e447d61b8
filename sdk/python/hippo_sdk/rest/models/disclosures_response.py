from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.disclosure_response import DisclosureResponse


T = TypeVar("T", bound="DisclosuresResponse")


@_attrs_define
class DisclosuresResponse:
    """The accounting of disclosures.

    Attributes:
        disclosures (list[DisclosureResponse]): Oldest first, at most 10,000.
        patient_id (str):
        since (datetime.datetime):
        truncated (bool):
        until (datetime.datetime):
    """

    disclosures: list[DisclosureResponse]
    patient_id: str
    since: datetime.datetime
    truncated: bool
    until: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        disclosures = []
        for disclosures_item_data in self.disclosures:
            disclosures_item = disclosures_item_data.to_dict()
            disclosures.append(disclosures_item)

        patient_id = self.patient_id

        since = self.since.isoformat()

        truncated = self.truncated

        until = self.until.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "disclosures": disclosures,
                "patient_id": patient_id,
                "since": since,
                "truncated": truncated,
                "until": until,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.disclosure_response import DisclosureResponse  # noqa: PLC0415

        d = dict(src_dict)
        disclosures = []
        _disclosures = d.pop("disclosures")
        for disclosures_item_data in _disclosures:
            disclosures_item = DisclosureResponse.from_dict(disclosures_item_data)

            disclosures.append(disclosures_item)

        patient_id = d.pop("patient_id")

        since = datetime.datetime.fromisoformat(d.pop("since"))

        truncated = d.pop("truncated")

        until = datetime.datetime.fromisoformat(d.pop("until"))

        disclosures_response = cls(
            disclosures=disclosures,
            patient_id=patient_id,
            since=since,
            truncated=truncated,
            until=until,
        )

        disclosures_response.additional_properties = d
        return disclosures_response

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
