from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="TreeHeadResponse")


@_attrs_define
class TreeHeadResponse:
    """A signed tree head.

    Attributes:
        key_id (str): Hex SHA-256 of the public key.
        public_key (str): Base64 raw Ed25519 public key (check it against one you hold).
        root_hash (str): Hex SHA-256.
        signature (str): Base64 Ed25519 signature over the JSON text
            `{"tree_size":N,"root_hash":"…","timestamp":"…"}` (no spaces).
        timestamp (datetime.datetime): RFC 3339, exactly as signed.
        tree_size (int):
    """

    key_id: str
    public_key: str
    root_hash: str
    signature: str
    timestamp: datetime.datetime
    tree_size: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        key_id = self.key_id

        public_key = self.public_key

        root_hash = self.root_hash

        signature = self.signature

        timestamp = self.timestamp.isoformat()

        tree_size = self.tree_size

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "key_id": key_id,
                "public_key": public_key,
                "root_hash": root_hash,
                "signature": signature,
                "timestamp": timestamp,
                "tree_size": tree_size,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        key_id = d.pop("key_id")

        public_key = d.pop("public_key")

        root_hash = d.pop("root_hash")

        signature = d.pop("signature")

        timestamp = datetime.datetime.fromisoformat(d.pop("timestamp"))

        tree_size = d.pop("tree_size")

        tree_head_response = cls(
            key_id=key_id,
            public_key=public_key,
            root_hash=root_hash,
            signature=signature,
            timestamp=timestamp,
            tree_size=tree_size,
        )

        tree_head_response.additional_properties = d
        return tree_head_response

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
