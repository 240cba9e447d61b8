from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="PhiRequest")


@_attrs_define
class PhiRequest:
    """
    Attributes:
        warning_version (str): The version of the risk warning the patient was shown.
    """

    warning_version: str

    def to_dict(self) -> dict[str, Any]:
        warning_version = self.warning_version

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "warning_version": warning_version,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        warning_version = d.pop("warning_version")

        phi_request = cls(
            warning_version=warning_version,
        )

        return phi_request
