from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.alert_kind import AlertKind
from ..models.alert_severity import AlertSeverity

if TYPE_CHECKING:
    from ..models.alert_response_detail import AlertResponseDetail


T = TypeVar("T", bound="AlertResponse")


@_attrs_define
class AlertResponse:
    """
    Attributes:
        at (datetime.datetime):
        detail (AlertResponseDetail): Ids and counts only.
        id (str):
        kind (AlertKind): What raised the security alert.
        severity (AlertSeverity): How urgent the alert is (syslog warning and critical).
    """

    at: datetime.datetime
    detail: AlertResponseDetail
    id: str
    kind: AlertKind
    severity: AlertSeverity
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        at = self.at.isoformat()

        detail = self.detail.to_dict()

        id = self.id

        kind = self.kind.value

        severity = self.severity.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "at": at,
                "detail": detail,
                "id": id,
                "kind": kind,
                "severity": severity,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.alert_response_detail import AlertResponseDetail  # noqa: PLC0415

        d = dict(src_dict)
        at = datetime.datetime.fromisoformat(d.pop("at"))

        detail = AlertResponseDetail.from_dict(d.pop("detail"))

        id = d.pop("id")

        kind = AlertKind(d.pop("kind"))

        severity = AlertSeverity(d.pop("severity"))

        alert_response = cls(
            at=at,
            detail=detail,
            id=id,
            kind=kind,
            severity=severity,
        )

        alert_response.additional_properties = d
        return alert_response

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
