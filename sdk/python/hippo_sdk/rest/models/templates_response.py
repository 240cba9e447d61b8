from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.phi_mode import PhiMode

if TYPE_CHECKING:
    from ..models.template_response import TemplateResponse


T = TypeVar("T", bound="TemplatesResponse")


@_attrs_define
class TemplatesResponse:
    """
    Attributes:
        phi_mode (PhiMode): The WhatsApp channel's PHI policy: `notify_only` (only PHI-free
             templates) or `patient_requested` (also free text to patients who
             asked for it after the risk warning).
        templates (list[TemplateResponse]):
    """

    phi_mode: PhiMode
    templates: list[TemplateResponse]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        phi_mode = self.phi_mode.value

        templates = []
        for templates_item_data in self.templates:
            templates_item = templates_item_data.to_dict()
            templates.append(templates_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "phi_mode": phi_mode,
                "templates": templates,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.template_response import TemplateResponse  # noqa: PLC0415

        d = dict(src_dict)
        phi_mode = PhiMode(d.pop("phi_mode"))

        templates = []
        _templates = d.pop("templates")
        for templates_item_data in _templates:
            templates_item = TemplateResponse.from_dict(templates_item_data)

            templates.append(templates_item)

        templates_response = cls(
            phi_mode=phi_mode,
            templates=templates,
        )

        templates_response.additional_properties = d
        return templates_response

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
