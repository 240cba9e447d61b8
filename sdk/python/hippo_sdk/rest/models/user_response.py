from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.role import Role
from ..models.user_status import UserStatus

T = TypeVar("T", bound="UserResponse")


@_attrs_define
class UserResponse:
    """A user account as clients see it.

    Attributes:
        created_at (datetime.datetime):
        display_name (str):
        id (str):
        mfa_enabled (bool):
        must_change_password (bool): The user must change their password at next sign-in.
        role (Role): What an account is for: `admin` (accounts, settings; never message
             content), `clinician` and `staff` (messaging), `auditor` (audit trail;
             never content), `service` (an integration; messaging and patients).
        status (UserStatus): Whether the account may sign in.
        username (str):
    """

    created_at: datetime.datetime
    display_name: str
    id: str
    mfa_enabled: bool
    must_change_password: bool
    role: Role
    status: UserStatus
    username: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        created_at = self.created_at.isoformat()

        display_name = self.display_name

        id = self.id

        mfa_enabled = self.mfa_enabled

        must_change_password = self.must_change_password

        role = self.role.value

        status = self.status.value

        username = self.username

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "created_at": created_at,
                "display_name": display_name,
                "id": id,
                "mfa_enabled": mfa_enabled,
                "must_change_password": must_change_password,
                "role": role,
                "status": status,
                "username": username,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        display_name = d.pop("display_name")

        id = d.pop("id")

        mfa_enabled = d.pop("mfa_enabled")

        must_change_password = d.pop("must_change_password")

        role = Role(d.pop("role"))

        status = UserStatus(d.pop("status"))

        username = d.pop("username")

        user_response = cls(
            created_at=created_at,
            display_name=display_name,
            id=id,
            mfa_enabled=mfa_enabled,
            must_change_password=must_change_password,
            role=role,
            status=status,
            username=username,
        )

        user_response.additional_properties = d
        return user_response

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
