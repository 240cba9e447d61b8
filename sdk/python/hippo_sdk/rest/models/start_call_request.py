from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..models.call_media import CallMedia
from ..types import UNSET, Unset

T = TypeVar("T", bound="StartCallRequest")


@_attrs_define
class StartCallRequest:
    """
    Attributes:
        media (CallMedia): What a call carries.
        relay_only (bool | Unset): Media only through the TURN relay, so the other party never sees
            this device's address (forced on by `calls_relay_only`).
    """

    media: CallMedia
    relay_only: bool | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        media = self.media.value

        relay_only = self.relay_only

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "media": media,
            }
        )
        if relay_only is not UNSET:
            field_dict["relay_only"] = relay_only

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        media = CallMedia(d.pop("media"))

        relay_only = d.pop("relay_only", UNSET)

        start_call_request = cls(
            media=media,
            relay_only=relay_only,
        )

        return start_call_request
