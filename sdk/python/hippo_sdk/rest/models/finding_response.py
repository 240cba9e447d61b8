from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.finding_severity import FindingSeverity

T = TypeVar("T", bound="FindingResponse")


@_attrs_define
class FindingResponse:
    """Something to act on.

    Attributes:
        detail (str):
        hipaa (str): The HIPAA section concerned.
        id (str): Stable: the same condition has the same id in every report
            (`accounts_without_mfa`, `restore_drill_missing`, …).
        severity (FindingSeverity): How urgent a finding of the evidence report is.
        title (str):
    """

    detail: str
    hipaa: str
    id: str
    severity: FindingSeverity
    title: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        detail = self.detail

        hipaa = self.hipaa

        id = self.id

        severity = self.severity.value

        title = self.title

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "detail": detail,
                "hipaa": hipaa,
                "id": id,
                "severity": severity,
                "title": title,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        detail = d.pop("detail")

        hipaa = d.pop("hipaa")

        id = d.pop("id")

        severity = FindingSeverity(d.pop("severity"))

        title = d.pop("title")

        finding_response = cls(
            detail=detail,
            hipaa=hipaa,
            id=id,
            severity=severity,
            title=title,
        )

        finding_response.additional_properties = d
        return finding_response

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
