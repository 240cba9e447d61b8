from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.new_conversation_kind import NewConversationKind
from ..types import UNSET, Unset

T = TypeVar("T", bound="CreateConversationRequest")


@_attrs_define
class CreateConversationRequest:
    """
    Attributes:
        kind (NewConversationKind): The kinds a client may create; `patient` conversations come with
             `POST /api/v1/patients`.
        member_ids (list[str]): Other members; the caller is always a member.
        title (None | str | Unset):
    """

    kind: NewConversationKind
    member_ids: list[str]
    title: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        kind = self.kind.value

        member_ids = self.member_ids

        title: None | str | Unset
        if isinstance(self.title, Unset):
            title = UNSET
        else:
            title = self.title

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "kind": kind,
                "member_ids": member_ids,
            }
        )
        if title is not UNSET:
            field_dict["title"] = title

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        kind = NewConversationKind(d.pop("kind"))

        member_ids = cast(list[str], d.pop("member_ids"))

        def _parse_title(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        title = _parse_title(d.pop("title", UNSET))

        create_conversation_request = cls(
            kind=kind,
            member_ids=member_ids,
            title=title,
        )

        return create_conversation_request
