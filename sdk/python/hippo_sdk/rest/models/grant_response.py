from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="GrantResponse")


@_attrs_define
class GrantResponse:
    """
    Attributes:
        conversation_id (str):
        expires_at (datetime.datetime):
        id (str):
        opened_at (datetime.datetime):
        reason (str):
        user_id (str):
        review_note (None | str | Unset):
        reviewed_at (datetime.datetime | None | Unset):
        reviewed_by (None | str | Unset):
    """

    conversation_id: str
    expires_at: datetime.datetime
    id: str
    opened_at: datetime.datetime
    reason: str
    user_id: str
    review_note: None | str | Unset = UNSET
    reviewed_at: datetime.datetime | None | Unset = UNSET
    reviewed_by: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        conversation_id = self.conversation_id

        expires_at = self.expires_at.isoformat()

        id = self.id

        opened_at = self.opened_at.isoformat()

        reason = self.reason

        user_id = self.user_id

        review_note: None | str | Unset
        if isinstance(self.review_note, Unset):
            review_note = UNSET
        else:
            review_note = self.review_note

        reviewed_at: None | str | Unset
        if isinstance(self.reviewed_at, Unset):
            reviewed_at = UNSET
        elif isinstance(self.reviewed_at, datetime.datetime):
            reviewed_at = self.reviewed_at.isoformat()
        else:
            reviewed_at = self.reviewed_at

        reviewed_by: None | str | Unset
        if isinstance(self.reviewed_by, Unset):
            reviewed_by = UNSET
        else:
            reviewed_by = self.reviewed_by

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "conversation_id": conversation_id,
                "expires_at": expires_at,
                "id": id,
                "opened_at": opened_at,
                "reason": reason,
                "user_id": user_id,
            }
        )
        if review_note is not UNSET:
            field_dict["review_note"] = review_note
        if reviewed_at is not UNSET:
            field_dict["reviewed_at"] = reviewed_at
        if reviewed_by is not UNSET:
            field_dict["reviewed_by"] = reviewed_by

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        conversation_id = d.pop("conversation_id")

        expires_at = datetime.datetime.fromisoformat(d.pop("expires_at"))

        id = d.pop("id")

        opened_at = datetime.datetime.fromisoformat(d.pop("opened_at"))

        reason = d.pop("reason")

        user_id = d.pop("user_id")

        def _parse_review_note(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        review_note = _parse_review_note(d.pop("review_note", UNSET))

        def _parse_reviewed_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                reviewed_at_type_0 = datetime.datetime.fromisoformat(data)

                return reviewed_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        reviewed_at = _parse_reviewed_at(d.pop("reviewed_at", UNSET))

        def _parse_reviewed_by(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        reviewed_by = _parse_reviewed_by(d.pop("reviewed_by", UNSET))

        grant_response = cls(
            conversation_id=conversation_id,
            expires_at=expires_at,
            id=id,
            opened_at=opened_at,
            reason=reason,
            user_id=user_id,
            review_note=review_note,
            reviewed_at=reviewed_at,
            reviewed_by=reviewed_by,
        )

        grant_response.additional_properties = d
        return grant_response

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
