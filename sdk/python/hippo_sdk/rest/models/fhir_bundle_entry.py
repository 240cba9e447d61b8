from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.fhir_resource import FhirResource


T = TypeVar("T", bound="FhirBundleEntry")


@_attrs_define
class FhirBundleEntry:
    """
    Attributes:
        full_url (str):
        resource (FhirResource): A FHIR R4 resource in JSON (<https://hl7.org/fhir/R4/json.html>): its
            `resourceType` and elements (CommunicationRequest, CapabilityStatement).
        search (Any | Unset): `{"mode": "match"}`.
    """

    full_url: str
    resource: FhirResource
    search: Any | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        full_url = self.full_url

        resource = self.resource.to_dict()

        search = self.search

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "fullUrl": full_url,
                "resource": resource,
            }
        )
        if search is not UNSET:
            field_dict["search"] = search

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.fhir_resource import FhirResource  # noqa: PLC0415

        d = dict(src_dict)
        full_url = d.pop("fullUrl")

        resource = FhirResource.from_dict(d.pop("resource"))

        search = d.pop("search", UNSET)

        fhir_bundle_entry = cls(
            full_url=full_url,
            resource=resource,
            search=search,
        )

        fhir_bundle_entry.additional_properties = d
        return fhir_bundle_entry

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
