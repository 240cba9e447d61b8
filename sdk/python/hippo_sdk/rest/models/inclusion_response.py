from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="InclusionResponse")


@_attrs_define
class InclusionResponse:
    """
    Attributes:
        audit_path (list[str]): Hex hashes, from the leaf's sibling up (RFC 9162 §2.1.3).
        leaf_index (int): `seq - 1`.
        tree_size (int):
    """

    audit_path: list[str]
    leaf_index: int
    tree_size: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        audit_path = self.audit_path

        leaf_index = self.leaf_index

        tree_size = self.tree_size

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "audit_path": audit_path,
                "leaf_index": leaf_index,
                "tree_size": tree_size,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        audit_path = cast(list[str], d.pop("audit_path"))

        leaf_index = d.pop("leaf_index")

        tree_size = d.pop("tree_size")

        inclusion_response = cls(
            audit_path=audit_path,
            leaf_index=leaf_index,
            tree_size=tree_size,
        )

        inclusion_response.additional_properties = d
        return inclusion_response

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
