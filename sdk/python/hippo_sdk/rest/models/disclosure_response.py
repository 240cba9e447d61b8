from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.audit_action import AuditAction
from ..models.disclosure_kind import DisclosureKind
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.discloser_response import DiscloserResponse


T = TypeVar("T", bound="DisclosureResponse")


@_attrs_define
class DisclosureResponse:
    """One disclosure of the patient's information.

    Attributes:
        action (AuditAction): What was done, as recorded in the audit trail.
        at (datetime.datetime):
        kind (DisclosureKind): How a patient's information left hippo: a copy given to her, a
             WhatsApp message to her, or a read by an integration.
        seq (int): The audit record's `seq` (its inclusion proof proves the entry).
        by (DiscloserResponse | None | Unset):
        resource_id (None | str | Unset):
        resource_type (None | str | Unset):
    """

    action: AuditAction
    at: datetime.datetime
    kind: DisclosureKind
    seq: int
    by: DiscloserResponse | None | Unset = UNSET
    resource_id: None | str | Unset = UNSET
    resource_type: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.discloser_response import DiscloserResponse  # noqa: PLC0415

        action = self.action.value

        at = self.at.isoformat()

        kind = self.kind.value

        seq = self.seq

        by: dict[str, Any] | None | Unset
        if isinstance(self.by, Unset):
            by = UNSET
        elif isinstance(self.by, DiscloserResponse):
            by = self.by.to_dict()
        else:
            by = self.by

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

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "action": action,
                "at": at,
                "kind": kind,
                "seq": seq,
            }
        )
        if by is not UNSET:
            field_dict["by"] = by
        if resource_id is not UNSET:
            field_dict["resource_id"] = resource_id
        if resource_type is not UNSET:
            field_dict["resource_type"] = resource_type

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.discloser_response import DiscloserResponse  # noqa: PLC0415

        d = dict(src_dict)
        action = AuditAction(d.pop("action"))

        at = datetime.datetime.fromisoformat(d.pop("at"))

        kind = DisclosureKind(d.pop("kind"))

        seq = d.pop("seq")

        def _parse_by(data: object) -> DiscloserResponse | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                by_type_0 = DiscloserResponse.from_dict(data)

                return by_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(DiscloserResponse | None | Unset, data)

        by = _parse_by(d.pop("by", UNSET))

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

        disclosure_response = cls(
            action=action,
            at=at,
            kind=kind,
            seq=seq,
            by=by,
            resource_id=resource_id,
            resource_type=resource_type,
        )

        disclosure_response.additional_properties = d
        return disclosure_response

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
