from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.notice_audience import NoticeAudience

T = TypeVar("T", bound="PendingNoticeResponse")


@_attrs_define
class PendingNoticeResponse:
    """A notice still owed.

    Attributes:
        audience (NoticeAudience): Who must hear of a breach: the individuals (164.404), HHS (164.408)
             or a state's media (164.406).
        due_at (datetime.datetime):
        overdue (bool):
    """

    audience: NoticeAudience
    due_at: datetime.datetime
    overdue: bool
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        audience = self.audience.value

        due_at = self.due_at.isoformat()

        overdue = self.overdue

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "audience": audience,
                "due_at": due_at,
                "overdue": overdue,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        audience = NoticeAudience(d.pop("audience"))

        due_at = datetime.datetime.fromisoformat(d.pop("due_at"))

        overdue = d.pop("overdue")

        pending_notice_response = cls(
            audience=audience,
            due_at=due_at,
            overdue=overdue,
        )

        pending_notice_response.additional_properties = d
        return pending_notice_response

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
