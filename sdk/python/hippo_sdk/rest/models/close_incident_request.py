from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..models.incident_outcome import IncidentOutcome

T = TypeVar("T", bound="CloseIncidentRequest")


@_attrs_define
class CloseIncidentRequest:
    """
    Attributes:
        note (str): The risk assessment, or how the notices went (1 to 2000
            characters; sealed).
        outcome (IncidentOutcome): How an incident closed: a breach whose every notice went out, or a
             low probability of compromise by the risk assessment (not a breach).
    """

    note: str
    outcome: IncidentOutcome

    def to_dict(self) -> dict[str, Any]:
        note = self.note

        outcome = self.outcome.value

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "note": note,
                "outcome": outcome,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        note = d.pop("note")

        outcome = IncidentOutcome(d.pop("outcome"))

        close_incident_request = cls(
            note=note,
            outcome=outcome,
        )

        return close_incident_request
