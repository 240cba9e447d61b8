from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="CreateApiKeyRequest")


@_attrs_define
class CreateApiKeyRequest:
    """
    Attributes:
        name (str): A label for administrators ("ERP bridge, production").
        allowed_ips (list[str] | Unset): Addresses or CIDR networks uses may come from; absent: any.
        client_cert_sha256 (None | str | Unset): SHA-256 of the client certificate every use must present under
            mutual TLS (`--tls-client-ca`), 64 hex digits (colons allowed).
        expires_in (None | str | Unset): How long the key works, such as `90d` (default) or `365d` (at most
            366 days).
    """

    name: str
    allowed_ips: list[str] | Unset = UNSET
    client_cert_sha256: None | str | Unset = UNSET
    expires_in: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        allowed_ips: list[str] | Unset = UNSET
        if not isinstance(self.allowed_ips, Unset):
            allowed_ips = self.allowed_ips

        client_cert_sha256: None | str | Unset
        if isinstance(self.client_cert_sha256, Unset):
            client_cert_sha256 = UNSET
        else:
            client_cert_sha256 = self.client_cert_sha256

        expires_in: None | str | Unset
        if isinstance(self.expires_in, Unset):
            expires_in = UNSET
        else:
            expires_in = self.expires_in

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "name": name,
            }
        )
        if allowed_ips is not UNSET:
            field_dict["allowed_ips"] = allowed_ips
        if client_cert_sha256 is not UNSET:
            field_dict["client_cert_sha256"] = client_cert_sha256
        if expires_in is not UNSET:
            field_dict["expires_in"] = expires_in

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        name = d.pop("name")

        allowed_ips = cast(list[str], d.pop("allowed_ips", UNSET))

        def _parse_client_cert_sha256(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        client_cert_sha256 = _parse_client_cert_sha256(d.pop("client_cert_sha256", UNSET))

        def _parse_expires_in(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        expires_in = _parse_expires_in(d.pop("expires_in", UNSET))

        create_api_key_request = cls(
            name=name,
            allowed_ips=allowed_ips,
            client_cert_sha256=client_cert_sha256,
            expires_in=expires_in,
        )

        return create_api_key_request
