from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.notice_audience import NoticeAudience
from ..types import UNSET, Unset

T = TypeVar("T", bound="NoticeRequest")


@_attrs_define
class NoticeRequest:
    """
    Attributes:
        audience (NoticeAudience): Who must hear of a breach: the individuals (164.404), HHS (164.408)
             or a state's media (164.406).
        notified_at (datetime.datetime | None | Unset): When it went out; now when left out.
    """

    audience: NoticeAudience
    notified_at: datetime.datetime | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        audience = self.audience.value

        notified_at: None | str | Unset
        if isinstance(self.notified_at, Unset):
            notified_at = UNSET
        elif isinstance(self.notified_at, datetime.datetime):
            notified_at = self.notified_at.isoformat()
        else:
            notified_at = self.notified_at

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "audience": audience,
            }
        )
        if notified_at is not UNSET:
            field_dict["notified_at"] = notified_at

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        audience = NoticeAudience(d.pop("audience"))

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

        notice_request = cls(
            audience=audience,
            notified_at=notified_at,
        )

        return notice_request
