from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="ResolveRequest")


@_attrs_define
class ResolveRequest:
    """
    Attributes:
        patient_ids (list[str] | Unset): Patient ids from the trail (at most 200).
        user_ids (list[str] | Unset): Account ids from the trail (at most 200).
    """

    patient_ids: list[str] | Unset = UNSET
    user_ids: list[str] | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        patient_ids: list[str] | Unset = UNSET
        if not isinstance(self.patient_ids, Unset):
            patient_ids = self.patient_ids

        user_ids: list[str] | Unset = UNSET
        if not isinstance(self.user_ids, Unset):
            user_ids = self.user_ids

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if patient_ids is not UNSET:
            field_dict["patient_ids"] = patient_ids
        if user_ids is not UNSET:
            field_dict["user_ids"] = user_ids

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        patient_ids = cast(list[str], d.pop("patient_ids", UNSET))

        user_ids = cast(list[str], d.pop("user_ids", UNSET))

        resolve_request = cls(
            patient_ids=patient_ids,
            user_ids=user_ids,
        )

        return resolve_request
