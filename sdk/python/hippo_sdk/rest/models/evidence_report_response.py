from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.evidence_response import EvidenceResponse
    from ..models.finding_response import FindingResponse
    from ..models.safeguard_response import SafeguardResponse


T = TypeVar("T", bound="EvidenceReportResponse")


@_attrs_define
class EvidenceReportResponse:
    """The compliance evidence report.

    Attributes:
        evidence (EvidenceResponse): What the findings rest on.
        findings (list[FindingResponse]): Most severe first; empty when there is nothing to act on.
        generated_at (datetime.datetime):
        safeguards (list[SafeguardResponse]):
    """

    evidence: EvidenceResponse
    findings: list[FindingResponse]
    generated_at: datetime.datetime
    safeguards: list[SafeguardResponse]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        evidence = self.evidence.to_dict()

        findings = []
        for findings_item_data in self.findings:
            findings_item = findings_item_data.to_dict()
            findings.append(findings_item)

        generated_at = self.generated_at.isoformat()

        safeguards = []
        for safeguards_item_data in self.safeguards:
            safeguards_item = safeguards_item_data.to_dict()
            safeguards.append(safeguards_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "evidence": evidence,
                "findings": findings,
                "generated_at": generated_at,
                "safeguards": safeguards,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.evidence_response import EvidenceResponse  # noqa: PLC0415
        from ..models.finding_response import FindingResponse  # noqa: PLC0415
        from ..models.safeguard_response import SafeguardResponse  # noqa: PLC0415

        d = dict(src_dict)
        evidence = EvidenceResponse.from_dict(d.pop("evidence"))

        findings = []
        _findings = d.pop("findings")
        for findings_item_data in _findings:
            findings_item = FindingResponse.from_dict(findings_item_data)

            findings.append(findings_item)

        generated_at = datetime.datetime.fromisoformat(d.pop("generated_at"))

        safeguards = []
        _safeguards = d.pop("safeguards")
        for safeguards_item_data in _safeguards:
            safeguards_item = SafeguardResponse.from_dict(safeguards_item_data)

            safeguards.append(safeguards_item)

        evidence_report_response = cls(
            evidence=evidence,
            findings=findings,
            generated_at=generated_at,
            safeguards=safeguards,
        )

        evidence_report_response.additional_properties = d
        return evidence_report_response

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
