from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.audit_action import AuditAction
from ..models.outcome import Outcome
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.audit_event_detail_type_0 import AuditEventDetailType0


T = TypeVar("T", bound="AuditEvent")


@_attrs_define
class AuditEvent:
    """One audit record, as `hippo_service::audit_format::record_json` writes
    it (the same shape as a line of the JSON-lines export).

        Attributes:
            action (AuditAction): What was done, as recorded in the audit trail.
            at (datetime.datetime):
            hash_ (str): This record's link in the hash chain.
            leaf (str): The record's canonical bytes (base64), the Merkle tree's leaf:
                leaf hash = SHA-256(0x00 ‖ bytes). Laid out in docs/audit-leaf.md.
            outcome (Outcome): How the recorded attempt ended.
            prev_hash (str): The previous record's `hash`.
            seq (int): Position in the trail; the hash chain runs in this order.
            actor_id (None | str | Unset):
            detail (AuditEventDetailType0 | None | Unset): Ids and counts only; never content.
            ip (None | str | Unset):
            patient_id (None | str | Unset):
            request_id (None | str | Unset):
            resource_id (None | str | Unset):
            resource_type (None | str | Unset):
            session_id (None | str | Unset):
            user_agent (None | str | Unset):
    """

    action: AuditAction
    at: datetime.datetime
    hash_: str
    leaf: str
    outcome: Outcome
    prev_hash: str
    seq: int
    actor_id: None | str | Unset = UNSET
    detail: AuditEventDetailType0 | None | Unset = UNSET
    ip: None | str | Unset = UNSET
    patient_id: None | str | Unset = UNSET
    request_id: None | str | Unset = UNSET
    resource_id: None | str | Unset = UNSET
    resource_type: None | str | Unset = UNSET
    session_id: None | str | Unset = UNSET
    user_agent: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.audit_event_detail_type_0 import AuditEventDetailType0  # noqa: PLC0415

        action = self.action.value

        at = self.at.isoformat()

        hash_ = self.hash_

        leaf = self.leaf

        outcome = self.outcome.value

        prev_hash = self.prev_hash

        seq = self.seq

        actor_id: None | str | Unset
        if isinstance(self.actor_id, Unset):
            actor_id = UNSET
        else:
            actor_id = self.actor_id

        detail: dict[str, Any] | None | Unset
        if isinstance(self.detail, Unset):
            detail = UNSET
        elif isinstance(self.detail, AuditEventDetailType0):
            detail = self.detail.to_dict()
        else:
            detail = self.detail

        ip: None | str | Unset
        if isinstance(self.ip, Unset):
            ip = UNSET
        else:
            ip = self.ip

        patient_id: None | str | Unset
        if isinstance(self.patient_id, Unset):
            patient_id = UNSET
        else:
            patient_id = self.patient_id

        request_id: None | str | Unset
        if isinstance(self.request_id, Unset):
            request_id = UNSET
        else:
            request_id = self.request_id

        resource_id: None | str | Unset
        if isinstance(self.resource_id, Unset):
            resource_id = UNSET
        else:
            resource_id = self.resource_id

        resource_type: None | str | Unset
        if isinstance(self.resource_type, Unset):
            resource_type = UNSET
        else:
            resource_type = self.resource_type

        session_id: None | str | Unset
        if isinstance(self.session_id, Unset):
            session_id = UNSET
        else:
            session_id = self.session_id

        user_agent: None | str | Unset
        if isinstance(self.user_agent, Unset):
            user_agent = UNSET
        else:
            user_agent = self.user_agent

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "action": action,
                "at": at,
                "hash": hash_,
                "leaf": leaf,
                "outcome": outcome,
                "prev_hash": prev_hash,
                "seq": seq,
            }
        )
        if actor_id is not UNSET:
            field_dict["actor_id"] = actor_id
        if detail is not UNSET:
            field_dict["detail"] = detail
        if ip is not UNSET:
            field_dict["ip"] = ip
        if patient_id is not UNSET:
            field_dict["patient_id"] = patient_id
        if request_id is not UNSET:
            field_dict["request_id"] = request_id
        if resource_id is not UNSET:
            field_dict["resource_id"] = resource_id
        if resource_type is not UNSET:
            field_dict["resource_type"] = resource_type
        if session_id is not UNSET:
            field_dict["session_id"] = session_id
        if user_agent is not UNSET:
            field_dict["user_agent"] = user_agent

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.audit_event_detail_type_0 import AuditEventDetailType0  # noqa: PLC0415

        d = dict(src_dict)
        action = AuditAction(d.pop("action"))

        at = datetime.datetime.fromisoformat(d.pop("at"))

        hash_ = d.pop("hash")

        leaf = d.pop("leaf")

        outcome = Outcome(d.pop("outcome"))

        prev_hash = d.pop("prev_hash")

        seq = d.pop("seq")

        def _parse_actor_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        actor_id = _parse_actor_id(d.pop("actor_id", UNSET))

        def _parse_detail(data: object) -> AuditEventDetailType0 | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                detail_type_0 = AuditEventDetailType0.from_dict(data)

                return detail_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(AuditEventDetailType0 | None | Unset, data)

        detail = _parse_detail(d.pop("detail", UNSET))

        def _parse_ip(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        ip = _parse_ip(d.pop("ip", UNSET))

        def _parse_patient_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        patient_id = _parse_patient_id(d.pop("patient_id", UNSET))

        def _parse_request_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        request_id = _parse_request_id(d.pop("request_id", UNSET))

        def _parse_resource_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        resource_id = _parse_resource_id(d.pop("resource_id", UNSET))

        def _parse_resource_type(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        resource_type = _parse_resource_type(d.pop("resource_type", UNSET))

        def _parse_session_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        session_id = _parse_session_id(d.pop("session_id", UNSET))

        def _parse_user_agent(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        user_agent = _parse_user_agent(d.pop("user_agent", UNSET))

        audit_event = cls(
            action=action,
            at=at,
            hash_=hash_,
            leaf=leaf,
            outcome=outcome,
            prev_hash=prev_hash,
            seq=seq,
            actor_id=actor_id,
            detail=detail,
            ip=ip,
            patient_id=patient_id,
            request_id=request_id,
            resource_id=resource_id,
            resource_type=resource_type,
            session_id=session_id,
            user_agent=user_agent,
        )

        audit_event.additional_properties = d
        return audit_event

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
