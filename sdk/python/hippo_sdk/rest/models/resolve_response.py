from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.resolved_patient_response import ResolvedPatientResponse
    from ..models.resolved_user_response import ResolvedUserResponse


T = TypeVar("T", bound="ResolveResponse")


@_attrs_define
class ResolveResponse:
    """
    Attributes:
        patients (list[ResolvedPatientResponse]): Ids that name no patient are left out.
        users (list[ResolvedUserResponse]): Ids that name no account are left out.
    """

    patients: list[ResolvedPatientResponse]
    users: list[ResolvedUserResponse]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        patients = []
        for patients_item_data in self.patients:
            patients_item = patients_item_data.to_dict()
            patients.append(patients_item)

        users = []
        for users_item_data in self.users:
            users_item = users_item_data.to_dict()
            users.append(users_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "patients": patients,
                "users": users,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.resolved_patient_response import ResolvedPatientResponse  # noqa: PLC0415
        from ..models.resolved_user_response import ResolvedUserResponse  # noqa: PLC0415

        d = dict(src_dict)
        patients = []
        _patients = d.pop("patients")
        for patients_item_data in _patients:
            patients_item = ResolvedPatientResponse.from_dict(patients_item_data)

            patients.append(patients_item)

        users = []
        _users = d.pop("users")
        for users_item_data in _users:
            users_item = ResolvedUserResponse.from_dict(users_item_data)

            users.append(users_item)

        resolve_response = cls(
            patients=patients,
            users=users,
        )

        resolve_response.additional_properties = d
        return resolve_response

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
