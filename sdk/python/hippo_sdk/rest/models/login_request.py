from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.session_transport import SessionTransport
from ..types import UNSET, Unset

T = TypeVar("T", bound="LoginRequest")


@_attrs_define
class LoginRequest:
    """
    Attributes:
        password (str):
        username (str):
        session (SessionTransport | Unset): How the session is handed to the client.
        totp_code (None | str | Unset): Six digits from the authenticator, or one of the recovery codes
            (spent by this use); required once MFA is enrolled.
    """

    password: str
    username: str
    session: SessionTransport | Unset = UNSET
    totp_code: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        password = self.password

        username = self.username

        session: str | Unset = UNSET
        if not isinstance(self.session, Unset):
            session = self.session.value

        totp_code: None | str | Unset
        if isinstance(self.totp_code, Unset):
            totp_code = UNSET
        else:
            totp_code = self.totp_code

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "password": password,
                "username": username,
            }
        )
        if session is not UNSET:
            field_dict["session"] = session
        if totp_code is not UNSET:
            field_dict["totp_code"] = totp_code

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        password = d.pop("password")

        username = d.pop("username")

        _session = d.pop("session", UNSET)
        session: SessionTransport | Unset
        if isinstance(_session, Unset):
            session = UNSET
        else:
            session = SessionTransport(_session)

        def _parse_totp_code(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        totp_code = _parse_totp_code(d.pop("totp_code", UNSET))

        login_request = cls(
            password=password,
            username=username,
            session=session,
            totp_code=totp_code,
        )

        return login_request
