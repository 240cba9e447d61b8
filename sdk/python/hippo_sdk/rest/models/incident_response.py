from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.incident_outcome import IncidentOutcome
from ..models.incident_status import IncidentStatus
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.incident_response_by_state import IncidentResponseByState
    from ..models.incident_scope_response import IncidentScopeResponse
    from ..models.notice_response import NoticeResponse


T = TypeVar("T", bound="IncidentResponse")


@_attrs_define
class IncidentResponse:
    """An incident.

    Attributes:
        affected_count (int): Patients whose records the scope shows were touched.
        by_state (IncidentResponseByState): Affected patients per state of residence (`unknown` for those
            without one).
        created_at (datetime.datetime):
        created_by (str):
        discovered_at (datetime.datetime):
        id (str):
        notices (list[NoticeResponse]):
        scope (IncidentScopeResponse): Where the trail was searched.
        status (IncidentStatus): Where an incident stands: open, overdue (a notice past its
             deadline) or closed.
        summary (str):
        affected_patient_ids (list[str] | None | Unset): Their ids (in `GET /api/v1/incidents/{id}` only; null in
            lists).
        close_note (None | str | Unset):
        closed_at (datetime.datetime | None | Unset):
        closed_by (None | str | Unset):
        outcome (IncidentOutcome | None | Unset):
    """

    affected_count: int
    by_state: IncidentResponseByState
    created_at: datetime.datetime
    created_by: str
    discovered_at: datetime.datetime
    id: str
    notices: list[NoticeResponse]
    scope: IncidentScopeResponse
    status: IncidentStatus
    summary: str
    affected_patient_ids: list[str] | None | Unset = UNSET
    close_note: None | str | Unset = UNSET
    closed_at: datetime.datetime | None | Unset = UNSET
    closed_by: None | str | Unset = UNSET
    outcome: IncidentOutcome | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        affected_count = self.affected_count

        by_state = self.by_state.to_dict()

        created_at = self.created_at.isoformat()

        created_by = self.created_by

        discovered_at = self.discovered_at.isoformat()

        id = self.id

        notices = []
        for notices_item_data in self.notices:
            notices_item = notices_item_data.to_dict()
            notices.append(notices_item)

        scope = self.scope.to_dict()

        status = self.status.value

        summary = self.summary

        affected_patient_ids: list[str] | None | Unset
        if isinstance(self.affected_patient_ids, Unset):
            affected_patient_ids = UNSET
        elif isinstance(self.affected_patient_ids, list):
            affected_patient_ids = self.affected_patient_ids

        else:
            affected_patient_ids = self.affected_patient_ids

        close_note: None | str | Unset
        if isinstance(self.close_note, Unset):
            close_note = UNSET
        else:
            close_note = self.close_note

        closed_at: None | str | Unset
        if isinstance(self.closed_at, Unset):
            closed_at = UNSET
        elif isinstance(self.closed_at, datetime.datetime):
            closed_at = self.closed_at.isoformat()
        else:
            closed_at = self.closed_at

        closed_by: None | str | Unset
        if isinstance(self.closed_by, Unset):
            closed_by = UNSET
        else:
            closed_by = self.closed_by

        outcome: None | str | Unset
        if isinstance(self.outcome, Unset):
            outcome = UNSET
        elif isinstance(self.outcome, IncidentOutcome):
            outcome = self.outcome.value
        else:
            outcome = self.outcome

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "affected_count": affected_count,
                "by_state": by_state,
                "created_at": created_at,
                "created_by": created_by,
                "discovered_at": discovered_at,
                "id": id,
                "notices": notices,
                "scope": scope,
                "status": status,
                "summary": summary,
            }
        )
        if affected_patient_ids is not UNSET:
            field_dict["affected_patient_ids"] = affected_patient_ids
        if close_note is not UNSET:
            field_dict["close_note"] = close_note
        if closed_at is not UNSET:
            field_dict["closed_at"] = closed_at
        if closed_by is not UNSET:
            field_dict["closed_by"] = closed_by
        if outcome is not UNSET:
            field_dict["outcome"] = outcome

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.incident_response_by_state import IncidentResponseByState  # noqa: PLC0415
        from ..models.incident_scope_response import IncidentScopeResponse  # noqa: PLC0415
        from ..models.notice_response import NoticeResponse  # noqa: PLC0415

        d = dict(src_dict)
        affected_count = d.pop("affected_count")

        by_state = IncidentResponseByState.from_dict(d.pop("by_state"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        created_by = d.pop("created_by")

        discovered_at = datetime.datetime.fromisoformat(d.pop("discovered_at"))

        id = d.pop("id")

        notices = []
        _notices = d.pop("notices")
        for notices_item_data in _notices:
            notices_item = NoticeResponse.from_dict(notices_item_data)

            notices.append(notices_item)

        scope = IncidentScopeResponse.from_dict(d.pop("scope"))

        status = IncidentStatus(d.pop("status"))

        summary = d.pop("summary")

        def _parse_affected_patient_ids(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                affected_patient_ids_type_0 = cast(list[str], data)

                return affected_patient_ids_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        affected_patient_ids = _parse_affected_patient_ids(d.pop("affected_patient_ids", UNSET))

        def _parse_close_note(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        close_note = _parse_close_note(d.pop("close_note", UNSET))

        def _parse_closed_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                closed_at_type_0 = datetime.datetime.fromisoformat(data)

                return closed_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        closed_at = _parse_closed_at(d.pop("closed_at", UNSET))

        def _parse_closed_by(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        closed_by = _parse_closed_by(d.pop("closed_by", UNSET))

        def _parse_outcome(data: object) -> IncidentOutcome | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                outcome_type_0 = IncidentOutcome(data)

                return outcome_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(IncidentOutcome | None | Unset, data)

        outcome = _parse_outcome(d.pop("outcome", UNSET))

        incident_response = cls(
            affected_count=affected_count,
            by_state=by_state,
            created_at=created_at,
            created_by=created_by,
            discovered_at=discovered_at,
            id=id,
            notices=notices,
            scope=scope,
            status=status,
            summary=summary,
            affected_patient_ids=affected_patient_ids,
            close_note=close_note,
            closed_at=closed_at,
            closed_by=closed_by,
            outcome=outcome,
        )

        incident_response.additional_properties = d
        return incident_response

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
