from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.channel_state import ChannelState
from ..types import UNSET, Unset

T = TypeVar("T", bound="ChannelStatusResponse")


@_attrs_define
class ChannelStatusResponse:
    """Delivery state of a WhatsApp message: `queued`, `sent`, `delivered`,
    `read` or `failed` (outbound), `received` (from the patient).

        Attributes:
            state (ChannelState): Where delivery of a WhatsApp message stands: `queued` < `sent` <
                 `delivered` < `read` (forward only), `failed` (final), `received`
                 (a message from the patient).
            updated_at (datetime.datetime):
            error_code (int | None | Unset):
            error_title (None | str | Unset):
    """

    state: ChannelState
    updated_at: datetime.datetime
    error_code: int | None | Unset = UNSET
    error_title: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        state = self.state.value

        updated_at = self.updated_at.isoformat()

        error_code: int | None | Unset
        if isinstance(self.error_code, Unset):
            error_code = UNSET
        else:
            error_code = self.error_code

        error_title: None | str | Unset
        if isinstance(self.error_title, Unset):
            error_title = UNSET
        else:
            error_title = self.error_title

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "state": state,
                "updated_at": updated_at,
            }
        )
        if error_code is not UNSET:
            field_dict["error_code"] = error_code
        if error_title is not UNSET:
            field_dict["error_title"] = error_title

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        state = ChannelState(d.pop("state"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        def _parse_error_code(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        error_code = _parse_error_code(d.pop("error_code", UNSET))

        def _parse_error_title(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        error_title = _parse_error_title(d.pop("error_title", UNSET))

        channel_status_response = cls(
            state=state,
            updated_at=updated_at,
            error_code=error_code,
            error_title=error_title,
        )

        channel_status_response.additional_properties = d
        return channel_status_response

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
