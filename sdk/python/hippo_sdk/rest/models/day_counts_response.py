from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="DayCountsResponse")


@_attrs_define
class DayCountsResponse:
    """One UTC day of the charts.

    Attributes:
        break_glass (int): Break-glass openings.
        date (datetime.date): `YYYY-MM-DD`, UTC.
        denied (int): Denied accesses, of any kind.
        sign_ins (int): Successful sign-ins.
    """

    break_glass: int
    date: datetime.date
    denied: int
    sign_ins: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        break_glass = self.break_glass

        date = self.date.isoformat()

        denied = self.denied

        sign_ins = self.sign_ins

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "break_glass": break_glass,
                "date": date,
                "denied": denied,
                "sign_ins": sign_ins,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        break_glass = d.pop("break_glass")

        date = datetime.date.fromisoformat(d.pop("date"))

        denied = d.pop("denied")

        sign_ins = d.pop("sign_ins")

        day_counts_response = cls(
            break_glass=break_glass,
            date=date,
            denied=denied,
            sign_ins=sign_ins,
        )

        day_counts_response.additional_properties = d
        return day_counts_response

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
