from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.access_review_entry_response import AccessReviewEntryResponse


T = TypeVar("T", bound="AccessReviewResponse")


@_attrs_define
class AccessReviewResponse:
    """The access review.

    Attributes:
        accounts (list[AccessReviewEntryResponse]): Every account, oldest first.
        generated_at (datetime.datetime):
    """

    accounts: list[AccessReviewEntryResponse]
    generated_at: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        accounts = []
        for accounts_item_data in self.accounts:
            accounts_item = accounts_item_data.to_dict()
            accounts.append(accounts_item)

        generated_at = self.generated_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "accounts": accounts,
                "generated_at": generated_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.access_review_entry_response import AccessReviewEntryResponse  # noqa: PLC0415

        d = dict(src_dict)
        accounts = []
        _accounts = d.pop("accounts")
        for accounts_item_data in _accounts:
            accounts_item = AccessReviewEntryResponse.from_dict(accounts_item_data)

            accounts.append(accounts_item)

        generated_at = datetime.datetime.fromisoformat(d.pop("generated_at"))

        access_review_response = cls(
            accounts=accounts,
            generated_at=generated_at,
        )

        access_review_response.additional_properties = d
        return access_review_response

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
