from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.incident_status import IncidentStatus

if TYPE_CHECKING:
    from ..models.pending_notice_response import PendingNoticeResponse


T = TypeVar("T", bound="OpenIncidentResponse")


@_attrs_define
class OpenIncidentResponse:
    """A breach incident not yet closed: its clock and notices (no summary,
    no patient ids; auditors read those at `/api/v1/incidents/{id}`).

        Attributes:
            affected_count (int):
            discovered_at (datetime.datetime):
            id (str):
            pending (list[PendingNoticeResponse]): The notices still owed, with their deadlines.
            status (IncidentStatus): Where an incident stands: open, overdue (a notice past its
                 deadline) or closed.
    """

    affected_count: int
    discovered_at: datetime.datetime
    id: str
    pending: list[PendingNoticeResponse]
    status: IncidentStatus
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        affected_count = self.affected_count

        discovered_at = self.discovered_at.isoformat()

        id = self.id

        pending = []
        for pending_item_data in self.pending:
            pending_item = pending_item_data.to_dict()
            pending.append(pending_item)

        status = self.status.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "affected_count": affected_count,
                "discovered_at": discovered_at,
                "id": id,
                "pending": pending,
                "status": status,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.pending_notice_response import PendingNoticeResponse  # noqa: PLC0415

        d = dict(src_dict)
        affected_count = d.pop("affected_count")

        discovered_at = datetime.datetime.fromisoformat(d.pop("discovered_at"))

        id = d.pop("id")

        pending = []
        _pending = d.pop("pending")
        for pending_item_data in _pending:
            pending_item = PendingNoticeResponse.from_dict(pending_item_data)

            pending.append(pending_item)

        status = IncidentStatus(d.pop("status"))

        open_incident_response = cls(
            affected_count=affected_count,
            discovered_at=discovered_at,
            id=id,
            pending=pending,
            status=status,
        )

        open_incident_response.additional_properties = d
        return open_incident_response

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
