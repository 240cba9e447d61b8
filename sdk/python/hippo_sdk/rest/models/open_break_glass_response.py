from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.evidence_account_response import EvidenceAccountResponse


T = TypeVar("T", bound="OpenBreakGlassResponse")


@_attrs_define
class OpenBreakGlassResponse:
    """An emergency access not yet reviewed.

    Attributes:
        conversation_id (str):
        id (str):
        opened_at (datetime.datetime):
        user (EvidenceAccountResponse | None | Unset):
    """

    conversation_id: str
    id: str
    opened_at: datetime.datetime
    user: EvidenceAccountResponse | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.evidence_account_response import EvidenceAccountResponse  # noqa: PLC0415

        conversation_id = self.conversation_id

        id = self.id

        opened_at = self.opened_at.isoformat()

        user: dict[str, Any] | None | Unset
        if isinstance(self.user, Unset):
            user = UNSET
        elif isinstance(self.user, EvidenceAccountResponse):
            user = self.user.to_dict()
        else:
            user = self.user

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "conversation_id": conversation_id,
                "id": id,
                "opened_at": opened_at,
            }
        )
        if user is not UNSET:
            field_dict["user"] = user

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.evidence_account_response import EvidenceAccountResponse  # noqa: PLC0415

        d = dict(src_dict)
        conversation_id = d.pop("conversation_id")

        id = d.pop("id")

        opened_at = datetime.datetime.fromisoformat(d.pop("opened_at"))

        def _parse_user(data: object) -> EvidenceAccountResponse | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                user_type_0 = EvidenceAccountResponse.from_dict(data)

                return user_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(EvidenceAccountResponse | None | Unset, data)

        user = _parse_user(d.pop("user", UNSET))

        open_break_glass_response = cls(
            conversation_id=conversation_id,
            id=id,
            opened_at=opened_at,
            user=user,
        )

        open_break_glass_response.additional_properties = d
        return open_break_glass_response

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
