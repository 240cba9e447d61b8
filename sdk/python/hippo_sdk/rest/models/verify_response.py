from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="VerifyResponse")


@_attrs_define
class VerifyResponse:
    """
    Attributes:
        checked (int): Records checked and found intact.
        checkpoints_verified (int):
        ok (bool):
        tree_heads_verified (int): Signed tree heads that matched the tree rebuilt from the records.
        tree_size (int): Records in the Merkle tree.
        unsequenced (int): Records written but not yet sequenced when the check ended.
        first_bad_seq (int | None | Unset):
        reason (None | str | Unset):
    """

    checked: int
    checkpoints_verified: int
    ok: bool
    tree_heads_verified: int
    tree_size: int
    unsequenced: int
    first_bad_seq: int | None | Unset = UNSET
    reason: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        checked = self.checked

        checkpoints_verified = self.checkpoints_verified

        ok = self.ok

        tree_heads_verified = self.tree_heads_verified

        tree_size = self.tree_size

        unsequenced = self.unsequenced

        first_bad_seq: int | None | Unset
        if isinstance(self.first_bad_seq, Unset):
            first_bad_seq = UNSET
        else:
            first_bad_seq = self.first_bad_seq

        reason: None | str | Unset
        if isinstance(self.reason, Unset):
            reason = UNSET
        else:
            reason = self.reason

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "checked": checked,
                "checkpoints_verified": checkpoints_verified,
                "ok": ok,
                "tree_heads_verified": tree_heads_verified,
                "tree_size": tree_size,
                "unsequenced": unsequenced,
            }
        )
        if first_bad_seq is not UNSET:
            field_dict["first_bad_seq"] = first_bad_seq
        if reason is not UNSET:
            field_dict["reason"] = reason

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        checked = d.pop("checked")

        checkpoints_verified = d.pop("checkpoints_verified")

        ok = d.pop("ok")

        tree_heads_verified = d.pop("tree_heads_verified")

        tree_size = d.pop("tree_size")

        unsequenced = d.pop("unsequenced")

        def _parse_first_bad_seq(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        first_bad_seq = _parse_first_bad_seq(d.pop("first_bad_seq", UNSET))

        def _parse_reason(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        reason = _parse_reason(d.pop("reason", UNSET))

        verify_response = cls(
            checked=checked,
            checkpoints_verified=checkpoints_verified,
            ok=ok,
            tree_heads_verified=tree_heads_verified,
            tree_size=tree_size,
            unsequenced=unsequenced,
            first_bad_seq=first_bad_seq,
            reason=reason,
        )

        verify_response.additional_properties = d
        return verify_response

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
