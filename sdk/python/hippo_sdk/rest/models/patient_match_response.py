from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="PatientMatchResponse")


@_attrs_define
class PatientMatchResponse:
    """A patient found by MRN: who it is and where the conversation is.

    Attributes:
        conversation_id (str):
        display_name (str):
        id (str):
        on_care_team (bool): Already on the care team (no emergency access needed).
    """

    conversation_id: str
    display_name: str
    id: str
    on_care_team: bool
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        conversation_id = self.conversation_id

        display_name = self.display_name

        id = self.id

        on_care_team = self.on_care_team

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "conversation_id": conversation_id,
                "display_name": display_name,
                "id": id,
                "on_care_team": on_care_team,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        conversation_id = d.pop("conversation_id")

        display_name = d.pop("display_name")

        id = d.pop("id")

        on_care_team = d.pop("on_care_team")

        patient_match_response = cls(
            conversation_id=conversation_id,
            display_name=display_name,
            id=id,
            on_care_team=on_care_team,
        )

        patient_match_response.additional_properties = d
        return patient_match_response

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
