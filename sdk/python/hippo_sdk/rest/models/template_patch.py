from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="TemplatePatch")


@_attrs_define
class TemplatePatch:
    """
    Attributes:
        phi_free (bool):
    """

    phi_free: bool

    def to_dict(self) -> dict[str, Any]:
        phi_free = self.phi_free

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "phi_free": phi_free,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        phi_free = d.pop("phi_free")

        template_patch = cls(
            phi_free=phi_free,
        )

        return template_patch
