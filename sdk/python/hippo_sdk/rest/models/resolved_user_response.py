from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.role import Role
from ..models.user_status import UserStatus

T = TypeVar("T", bound="ResolvedUserResponse")


@_attrs_define
class ResolvedUserResponse:
    """An account named in the trail.

    Attributes:
        display_name (str):
        id (str):
        role (Role): What an account is for: `admin` (accounts, settings; never message
             content), `clinician` and `staff` (messaging), `auditor` (audit trail;
             never content), `service` (an integration; messaging and patients).
        status (UserStatus): Whether the account may sign in.
        username (str):
    """

    display_name: str
    id: str
    role: Role
    status: UserStatus
    username: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        display_name = self.display_name

        id = self.id

        role = self.role.value

        status = self.status.value

        username = self.username

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "display_name": display_name,
                "id": id,
                "role": role,
                "status": status,
                "username": username,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        display_name = d.pop("display_name")

        id = d.pop("id")

        role = Role(d.pop("role"))

        status = UserStatus(d.pop("status"))

        username = d.pop("username")

        resolved_user_response = cls(
            display_name=display_name,
            id=id,
            role=role,
            status=status,
            username=username,
        )

        resolved_user_response.additional_properties = d
        return resolved_user_response

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
