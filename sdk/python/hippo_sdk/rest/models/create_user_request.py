from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.role import Role
from ..types import UNSET, Unset

T = TypeVar("T", bound="CreateUserRequest")


@_attrs_define
class CreateUserRequest:
    """
    Attributes:
        password (str):
        role (Role): What an account is for: `admin` (accounts, settings; never message
             content), `clinician` and `staff` (messaging), `auditor` (audit trail;
             never content), `service` (an integration; messaging and patients).
        username (str):
        display_name (None | str | Unset):
    """

    password: str
    role: Role
    username: str
    display_name: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        password = self.password

        role = self.role.value

        username = self.username

        display_name: None | str | Unset
        if isinstance(self.display_name, Unset):
            display_name = UNSET
        else:
            display_name = self.display_name

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "password": password,
                "role": role,
                "username": username,
            }
        )
        if display_name is not UNSET:
            field_dict["display_name"] = display_name

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        password = d.pop("password")

        role = Role(d.pop("role"))

        username = d.pop("username")

        def _parse_display_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        display_name = _parse_display_name(d.pop("display_name", UNSET))

        create_user_request = cls(
            password=password,
            role=role,
            username=username,
            display_name=display_name,
        )

        return create_user_request
