from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.outbox_state import OutboxState
from ..types import UNSET, Unset

T = TypeVar("T", bound="OutboxJobResponse")


@_attrs_define
class OutboxJobResponse:
    """
    Attributes:
        attempts (int):
        created_at (datetime.datetime):
        message_id (str):
        next_attempt_at (datetime.datetime):
        patient_id (str):
        state (OutboxState): Where an outbox job stands: waiting for its next attempt, handed to
             the Cloud API, accepted (never sent again), or failed for good.
        updated_at (datetime.datetime):
        last_error_code (int | None | Unset):
        last_error_title (None | str | Unset):
    """

    attempts: int
    created_at: datetime.datetime
    message_id: str
    next_attempt_at: datetime.datetime
    patient_id: str
    state: OutboxState
    updated_at: datetime.datetime
    last_error_code: int | None | Unset = UNSET
    last_error_title: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        attempts = self.attempts

        created_at = self.created_at.isoformat()

        message_id = self.message_id

        next_attempt_at = self.next_attempt_at.isoformat()

        patient_id = self.patient_id

        state = self.state.value

        updated_at = self.updated_at.isoformat()

        last_error_code: int | None | Unset
        if isinstance(self.last_error_code, Unset):
            last_error_code = UNSET
        else:
            last_error_code = self.last_error_code

        last_error_title: None | str | Unset
        if isinstance(self.last_error_title, Unset):
            last_error_title = UNSET
        else:
            last_error_title = self.last_error_title

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "attempts": attempts,
                "created_at": created_at,
                "message_id": message_id,
                "next_attempt_at": next_attempt_at,
                "patient_id": patient_id,
                "state": state,
                "updated_at": updated_at,
            }
        )
        if last_error_code is not UNSET:
            field_dict["last_error_code"] = last_error_code
        if last_error_title is not UNSET:
            field_dict["last_error_title"] = last_error_title

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        attempts = d.pop("attempts")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        message_id = d.pop("message_id")

        next_attempt_at = datetime.datetime.fromisoformat(d.pop("next_attempt_at"))

        patient_id = d.pop("patient_id")

        state = OutboxState(d.pop("state"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        def _parse_last_error_code(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        last_error_code = _parse_last_error_code(d.pop("last_error_code", UNSET))

        def _parse_last_error_title(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        last_error_title = _parse_last_error_title(d.pop("last_error_title", UNSET))

        outbox_job_response = cls(
            attempts=attempts,
            created_at=created_at,
            message_id=message_id,
            next_attempt_at=next_attempt_at,
            patient_id=patient_id,
            state=state,
            updated_at=updated_at,
            last_error_code=last_error_code,
            last_error_title=last_error_title,
        )

        outbox_job_response.additional_properties = d
        return outbox_job_response

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
