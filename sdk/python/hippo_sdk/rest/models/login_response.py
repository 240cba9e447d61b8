from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.user_response import UserResponse


T = TypeVar("T", bound="LoginResponse")


@_attrs_define
class LoginResponse:
    """
    Attributes:
        expires_at (datetime.datetime): Absolute end of the session (RFC 3339); idle timeout applies before.
        idle_timeout_secs (int):
        max_upload_bytes (int): The largest file `POST /api/v1/attachments` accepts, so a client
            can say so before uploading.
        mfa_enrollment_required (bool): The token reaches only the MFA enrollment calls until enrollment is done.
        password_change_required (bool): The token reaches only `POST /api/v1/me/password` until the password is
            changed.
        user (UserResponse): A user account as clients see it.
        csrf_token (None | str | Unset): For a cookie session: send it as `X-CSRF-Token` on every request.
        token (None | str | Unset): Opaque bearer token (absent for a cookie session).
    """

    expires_at: datetime.datetime
    idle_timeout_secs: int
    max_upload_bytes: int
    mfa_enrollment_required: bool
    password_change_required: bool
    user: UserResponse
    csrf_token: None | str | Unset = UNSET
    token: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        expires_at = self.expires_at.isoformat()

        idle_timeout_secs = self.idle_timeout_secs

        max_upload_bytes = self.max_upload_bytes

        mfa_enrollment_required = self.mfa_enrollment_required

        password_change_required = self.password_change_required

        user = self.user.to_dict()

        csrf_token: None | str | Unset
        if isinstance(self.csrf_token, Unset):
            csrf_token = UNSET
        else:
            csrf_token = self.csrf_token

        token: None | str | Unset
        if isinstance(self.token, Unset):
            token = UNSET
        else:
            token = self.token

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "expires_at": expires_at,
                "idle_timeout_secs": idle_timeout_secs,
                "max_upload_bytes": max_upload_bytes,
                "mfa_enrollment_required": mfa_enrollment_required,
                "password_change_required": password_change_required,
                "user": user,
            }
        )
        if csrf_token is not UNSET:
            field_dict["csrf_token"] = csrf_token
        if token is not UNSET:
            field_dict["token"] = token

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.user_response import UserResponse  # noqa: PLC0415

        d = dict(src_dict)
        expires_at = datetime.datetime.fromisoformat(d.pop("expires_at"))

        idle_timeout_secs = d.pop("idle_timeout_secs")

        max_upload_bytes = d.pop("max_upload_bytes")

        mfa_enrollment_required = d.pop("mfa_enrollment_required")

        password_change_required = d.pop("password_change_required")

        user = UserResponse.from_dict(d.pop("user"))

        def _parse_csrf_token(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        csrf_token = _parse_csrf_token(d.pop("csrf_token", UNSET))

        def _parse_token(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        token = _parse_token(d.pop("token", UNSET))

        login_response = cls(
            expires_at=expires_at,
            idle_timeout_secs=idle_timeout_secs,
            max_upload_bytes=max_upload_bytes,
            mfa_enrollment_required=mfa_enrollment_required,
            password_change_required=password_change_required,
            user=user,
            csrf_token=csrf_token,
            token=token,
        )

        login_response.additional_properties = d
        return login_response

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
