from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.notice_audience import NoticeAudience
from ..types import UNSET, Unset

T = TypeVar("T", bound="NoticeResponse")


@_attrs_define
class NoticeResponse:
    """One notice: required by the law or sent anyway.

    Attributes:
        audience (NoticeAudience): Who must hear of a breach: the individuals (164.404), HHS (164.408)
             or a state's media (164.406).
        hipaa (str): The section behind it (`164.404`, `164.406`, `164.408`).
        overdue (bool): Required, not sent, and past its deadline.
        required (bool): Whether the law calls for it for this incident.
        due_at (datetime.datetime | None | Unset): The deadline, when required.
        notified_at (datetime.datetime | None | Unset):
    """

    audience: NoticeAudience
    hipaa: str
    overdue: bool
    required: bool
    due_at: datetime.datetime | None | Unset = UNSET
    notified_at: datetime.datetime | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        audience = self.audience.value

        hipaa = self.hipaa

        overdue = self.overdue

        required = self.required

        due_at: None | str | Unset
        if isinstance(self.due_at, Unset):
            due_at = UNSET
        elif isinstance(self.due_at, datetime.datetime):
            due_at = self.due_at.isoformat()
        else:
            due_at = self.due_at

        notified_at: None | str | Unset
        if isinstance(self.notified_at, Unset):
            notified_at = UNSET
        elif isinstance(self.notified_at, datetime.datetime):
            notified_at = self.notified_at.isoformat()
        else:
            notified_at = self.notified_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "audience": audience,
                "hipaa": hipaa,
                "overdue": overdue,
                "required": required,
            }
        )
        if due_at is not UNSET:
            field_dict["due_at"] = due_at
        if notified_at is not UNSET:
            field_dict["notified_at"] = notified_at

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        audience = NoticeAudience(d.pop("audience"))

        hipaa = d.pop("hipaa")

        overdue = d.pop("overdue")

        required = d.pop("required")

        def _parse_due_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                due_at_type_0 = datetime.datetime.fromisoformat(data)

                return due_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        due_at = _parse_due_at(d.pop("due_at", UNSET))

        def _parse_notified_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                notified_at_type_0 = datetime.datetime.fromisoformat(data)

                return notified_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        notified_at = _parse_notified_at(d.pop("notified_at", UNSET))

        notice_response = cls(
            audience=audience,
            hipaa=hipaa,
            overdue=overdue,
            required=required,
            due_at=due_at,
            notified_at=notified_at,
        )

        notice_response.additional_properties = d
        return notice_response

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
