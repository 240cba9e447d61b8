from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.fhir_bundle_entry import FhirBundleEntry
    from ..models.fhir_bundle_link import FhirBundleLink


T = TypeVar("T", bound="FhirBundle")


@_attrs_define
class FhirBundle:
    """A `searchset` Bundle (<https://hl7.org/fhir/R4/bundle.html>).

    Attributes:
        link (list[FhirBundleLink]): `self`, and `next` while more pages remain.
        resource_type (str): `Bundle`.
        type_ (str): `searchset`.
        entry (list[FhirBundleEntry] | None | Unset): Absent on an empty page (FHIR JSON has no empty arrays).
    """

    link: list[FhirBundleLink]
    resource_type: str
    type_: str
    entry: list[FhirBundleEntry] | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        link = []
        for link_item_data in self.link:
            link_item = link_item_data.to_dict()
            link.append(link_item)

        resource_type = self.resource_type

        type_ = self.type_

        entry: list[dict[str, Any]] | None | Unset
        if isinstance(self.entry, Unset):
            entry = UNSET
        elif isinstance(self.entry, list):
            entry = []
            for entry_type_0_item_data in self.entry:
                entry_type_0_item = entry_type_0_item_data.to_dict()
                entry.append(entry_type_0_item)

        else:
            entry = self.entry

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "link": link,
                "resourceType": resource_type,
                "type": type_,
            }
        )
        if entry is not UNSET:
            field_dict["entry"] = entry

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.fhir_bundle_entry import FhirBundleEntry  # noqa: PLC0415
        from ..models.fhir_bundle_link import FhirBundleLink  # noqa: PLC0415

        d = dict(src_dict)
        link = []
        _link = d.pop("link")
        for link_item_data in _link:
            link_item = FhirBundleLink.from_dict(link_item_data)

            link.append(link_item)

        resource_type = d.pop("resourceType")

        type_ = d.pop("type")

        def _parse_entry(data: object) -> list[FhirBundleEntry] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                entry_type_0 = []
                _entry_type_0 = data
                for entry_type_0_item_data in _entry_type_0:
                    entry_type_0_item = FhirBundleEntry.from_dict(entry_type_0_item_data)

                    entry_type_0.append(entry_type_0_item)

                return entry_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[FhirBundleEntry] | None | Unset, data)

        entry = _parse_entry(d.pop("entry", UNSET))

        fhir_bundle = cls(
            link=link,
            resource_type=resource_type,
            type_=type_,
            entry=entry,
        )

        fhir_bundle.additional_properties = d
        return fhir_bundle

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
