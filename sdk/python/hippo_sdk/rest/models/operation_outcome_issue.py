from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.issue_severity import IssueSeverity
from ..types import UNSET, Unset

T = TypeVar("T", bound="OperationOutcomeIssue")


@_attrs_define
class OperationOutcomeIssue:
    """
    Attributes:
        code (str): The FHIR issue type (`invalid`, `structure`, `required`, `value`,
            `code-invalid`, `not-found`, `not-supported`, `business-rule`,
            `login`, `expired`, `forbidden`, `too-long`, `throttled`,
            `transient`, `exception`, `informational`…).
        severity (IssueSeverity): How bad an OperationOutcome issue is.
        details (Any | Unset): hippo's stable error code: `{"coding": [{"system":
            "https://hippo.invalid/problems", "code": "validation_failed"}]}`.
        diagnostics (None | str | Unset):
        expression (list[str] | None | Unset): Where: a FHIRPath such as
            `CommunicationRequest.payload[0].contentString`.
    """

    code: str
    severity: IssueSeverity
    details: Any | Unset = UNSET
    diagnostics: None | str | Unset = UNSET
    expression: list[str] | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        code = self.code

        severity = self.severity.value

        details = self.details

        diagnostics: None | str | Unset
        if isinstance(self.diagnostics, Unset):
            diagnostics = UNSET
        else:
            diagnostics = self.diagnostics

        expression: list[str] | None | Unset
        if isinstance(self.expression, Unset):
            expression = UNSET
        elif isinstance(self.expression, list):
            expression = self.expression

        else:
            expression = self.expression

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "code": code,
                "severity": severity,
            }
        )
        if details is not UNSET:
            field_dict["details"] = details
        if diagnostics is not UNSET:
            field_dict["diagnostics"] = diagnostics
        if expression is not UNSET:
            field_dict["expression"] = expression

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        code = d.pop("code")

        severity = IssueSeverity(d.pop("severity"))

        details = d.pop("details", UNSET)

        def _parse_diagnostics(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        diagnostics = _parse_diagnostics(d.pop("diagnostics", UNSET))

        def _parse_expression(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                expression_type_0 = cast(list[str], data)

                return expression_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        expression = _parse_expression(d.pop("expression", UNSET))

        operation_outcome_issue = cls(
            code=code,
            severity=severity,
            details=details,
            diagnostics=diagnostics,
            expression=expression,
        )

        operation_outcome_issue.additional_properties = d
        return operation_outcome_issue

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
