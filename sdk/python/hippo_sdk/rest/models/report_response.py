from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.audit_event import AuditEvent
    from ..models.tally_response import TallyResponse


T = TypeVar("T", bound="ReportResponse")


@_attrs_define
class ReportResponse:
    """
    Attributes:
        by_action (list[TallyResponse]):
        by_actor (list[TallyResponse]):
        events (list[AuditEvent]):
        patients (list[TallyResponse]):
        resources (list[TallyResponse]): Conversations, messages, files, users touched (`type/id`).
        total (int): Matching records in all.
        truncated (bool): True when `events` stops at 10,000 (the tallies count everything).
    """

    by_action: list[TallyResponse]
    by_actor: list[TallyResponse]
    events: list[AuditEvent]
    patients: list[TallyResponse]
    resources: list[TallyResponse]
    total: int
    truncated: bool
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        by_action = []
        for by_action_item_data in self.by_action:
            by_action_item = by_action_item_data.to_dict()
            by_action.append(by_action_item)

        by_actor = []
        for by_actor_item_data in self.by_actor:
            by_actor_item = by_actor_item_data.to_dict()
            by_actor.append(by_actor_item)

        events = []
        for events_item_data in self.events:
            events_item = events_item_data.to_dict()
            events.append(events_item)

        patients = []
        for patients_item_data in self.patients:
            patients_item = patients_item_data.to_dict()
            patients.append(patients_item)

        resources = []
        for resources_item_data in self.resources:
            resources_item = resources_item_data.to_dict()
            resources.append(resources_item)

        total = self.total

        truncated = self.truncated

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "by_action": by_action,
                "by_actor": by_actor,
                "events": events,
                "patients": patients,
                "resources": resources,
                "total": total,
                "truncated": truncated,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.audit_event import AuditEvent  # noqa: PLC0415
        from ..models.tally_response import TallyResponse  # noqa: PLC0415

        d = dict(src_dict)
        by_action = []
        _by_action = d.pop("by_action")
        for by_action_item_data in _by_action:
            by_action_item = TallyResponse.from_dict(by_action_item_data)

            by_action.append(by_action_item)

        by_actor = []
        _by_actor = d.pop("by_actor")
        for by_actor_item_data in _by_actor:
            by_actor_item = TallyResponse.from_dict(by_actor_item_data)

            by_actor.append(by_actor_item)

        events = []
        _events = d.pop("events")
        for events_item_data in _events:
            events_item = AuditEvent.from_dict(events_item_data)

            events.append(events_item)

        patients = []
        _patients = d.pop("patients")
        for patients_item_data in _patients:
            patients_item = TallyResponse.from_dict(patients_item_data)

            patients.append(patients_item)

        resources = []
        _resources = d.pop("resources")
        for resources_item_data in _resources:
            resources_item = TallyResponse.from_dict(resources_item_data)

            resources.append(resources_item)

        total = d.pop("total")

        truncated = d.pop("truncated")

        report_response = cls(
            by_action=by_action,
            by_actor=by_actor,
            events=events,
            patients=patients,
            resources=resources,
            total=total,
            truncated=truncated,
        )

        report_response.additional_properties = d
        return report_response

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
