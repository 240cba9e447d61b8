from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.call_end_reason import CallEndReason
from ..models.call_media import CallMedia
from ..models.call_state import CallState
from ..models.call_topology import CallTopology
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.call_participant_response import CallParticipantResponse


T = TypeVar("T", bound="CallResponse")


@_attrs_define
class CallResponse:
    """A voice or video call as its participants see it.

    Attributes:
        conversation_id (str):
        id (str):
        media (CallMedia): What a call carries.
        participants (list[CallParticipantResponse]):
        relay_only (bool): Media only through the TURN relay (`iceTransportPolicy: "relay"`),
            so no party learns another's address.
        started_at (datetime.datetime):
        started_by (str):
        state (CallState): `ringing` until a second participant joins, `active`, then `ended`.
        topology (CallTopology): `p2p`: straight between two parties (through TURN when needed);
             `sfu`: through hippo's media server.
        answered_at (datetime.datetime | None | Unset): When a second participant joined.
        duration_ms (int | None | Unset): Answered time, once ended.
        end_reason (CallEndReason | None | Unset):
        ended_at (datetime.datetime | None | Unset):
    """

    conversation_id: str
    id: str
    media: CallMedia
    participants: list[CallParticipantResponse]
    relay_only: bool
    started_at: datetime.datetime
    started_by: str
    state: CallState
    topology: CallTopology
    answered_at: datetime.datetime | None | Unset = UNSET
    duration_ms: int | None | Unset = UNSET
    end_reason: CallEndReason | None | Unset = UNSET
    ended_at: datetime.datetime | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        conversation_id = self.conversation_id

        id = self.id

        media = self.media.value

        participants = []
        for participants_item_data in self.participants:
            participants_item = participants_item_data.to_dict()
            participants.append(participants_item)

        relay_only = self.relay_only

        started_at = self.started_at.isoformat()

        started_by = self.started_by

        state = self.state.value

        topology = self.topology.value

        answered_at: None | str | Unset
        if isinstance(self.answered_at, Unset):
            answered_at = UNSET
        elif isinstance(self.answered_at, datetime.datetime):
            answered_at = self.answered_at.isoformat()
        else:
            answered_at = self.answered_at

        duration_ms: int | None | Unset
        if isinstance(self.duration_ms, Unset):
            duration_ms = UNSET
        else:
            duration_ms = self.duration_ms

        end_reason: None | str | Unset
        if isinstance(self.end_reason, Unset):
            end_reason = UNSET
        elif isinstance(self.end_reason, CallEndReason):
            end_reason = self.end_reason.value
        else:
            end_reason = self.end_reason

        ended_at: None | str | Unset
        if isinstance(self.ended_at, Unset):
            ended_at = UNSET
        elif isinstance(self.ended_at, datetime.datetime):
            ended_at = self.ended_at.isoformat()
        else:
            ended_at = self.ended_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "conversation_id": conversation_id,
                "id": id,
                "media": media,
                "participants": participants,
                "relay_only": relay_only,
                "started_at": started_at,
                "started_by": started_by,
                "state": state,
                "topology": topology,
            }
        )
        if answered_at is not UNSET:
            field_dict["answered_at"] = answered_at
        if duration_ms is not UNSET:
            field_dict["duration_ms"] = duration_ms
        if end_reason is not UNSET:
            field_dict["end_reason"] = end_reason
        if ended_at is not UNSET:
            field_dict["ended_at"] = ended_at

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.call_participant_response import CallParticipantResponse  # noqa: PLC0415

        d = dict(src_dict)
        conversation_id = d.pop("conversation_id")

        id = d.pop("id")

        media = CallMedia(d.pop("media"))

        participants = []
        _participants = d.pop("participants")
        for participants_item_data in _participants:
            participants_item = CallParticipantResponse.from_dict(participants_item_data)

            participants.append(participants_item)

        relay_only = d.pop("relay_only")

        started_at = datetime.datetime.fromisoformat(d.pop("started_at"))

        started_by = d.pop("started_by")

        state = CallState(d.pop("state"))

        topology = CallTopology(d.pop("topology"))

        def _parse_answered_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                answered_at_type_0 = datetime.datetime.fromisoformat(data)

                return answered_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        answered_at = _parse_answered_at(d.pop("answered_at", UNSET))

        def _parse_duration_ms(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        duration_ms = _parse_duration_ms(d.pop("duration_ms", UNSET))

        def _parse_end_reason(data: object) -> CallEndReason | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                end_reason_type_0 = CallEndReason(data)

                return end_reason_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(CallEndReason | None | Unset, data)

        end_reason = _parse_end_reason(d.pop("end_reason", UNSET))

        def _parse_ended_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                ended_at_type_0 = datetime.datetime.fromisoformat(data)

                return ended_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        ended_at = _parse_ended_at(d.pop("ended_at", UNSET))

        call_response = cls(
            conversation_id=conversation_id,
            id=id,
            media=media,
            participants=participants,
            relay_only=relay_only,
            started_at=started_at,
            started_by=started_by,
            state=state,
            topology=topology,
            answered_at=answered_at,
            duration_ms=duration_ms,
            end_reason=end_reason,
            ended_at=ended_at,
        )

        call_response.additional_properties = d
        return call_response

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
