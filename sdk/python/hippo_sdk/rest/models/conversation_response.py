from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.conversation_kind import ConversationKind
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.member_response import MemberResponse


T = TypeVar("T", bound="ConversationResponse")


@_attrs_define
class ConversationResponse:
    """A conversation as its members see it.

    Attributes:
        created_at (datetime.datetime):
        id (str):
        kind (ConversationKind): `direct` (two members), `group`, or `patient` (everything sent to and
             received from one patient; created with the patient).
        last_seq (int): Highest message `seq` so far.
        member_ids (list[str]):
        members (list[MemberResponse]): The members with their names, in `member_ids` order.
        last_message_at (datetime.datetime | None | Unset): When the newest message was sent; in REST answers, `null`
            before
            the first message; absent from `conversation.updated` frames.
        title (None | str | Unset):
        unread_count (int | None | Unset): Messages after the caller's read mark that others sent. In REST
            answers; absent from `conversation.updated` frames (which are the
            same for every member).
    """

    created_at: datetime.datetime
    id: str
    kind: ConversationKind
    last_seq: int
    member_ids: list[str]
    members: list[MemberResponse]
    last_message_at: datetime.datetime | None | Unset = UNSET
    title: None | str | Unset = UNSET
    unread_count: int | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        created_at = self.created_at.isoformat()

        id = self.id

        kind = self.kind.value

        last_seq = self.last_seq

        member_ids = self.member_ids

        members = []
        for members_item_data in self.members:
            members_item = members_item_data.to_dict()
            members.append(members_item)

        last_message_at: None | str | Unset
        if isinstance(self.last_message_at, Unset):
            last_message_at = UNSET
        elif isinstance(self.last_message_at, datetime.datetime):
            last_message_at = self.last_message_at.isoformat()
        else:
            last_message_at = self.last_message_at

        title: None | str | Unset
        if isinstance(self.title, Unset):
            title = UNSET
        else:
            title = self.title

        unread_count: int | None | Unset
        if isinstance(self.unread_count, Unset):
            unread_count = UNSET
        else:
            unread_count = self.unread_count

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "created_at": created_at,
                "id": id,
                "kind": kind,
                "last_seq": last_seq,
                "member_ids": member_ids,
                "members": members,
            }
        )
        if last_message_at is not UNSET:
            field_dict["last_message_at"] = last_message_at
        if title is not UNSET:
            field_dict["title"] = title
        if unread_count is not UNSET:
            field_dict["unread_count"] = unread_count

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.member_response import MemberResponse  # noqa: PLC0415

        d = dict(src_dict)
        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        id = d.pop("id")

        kind = ConversationKind(d.pop("kind"))

        last_seq = d.pop("last_seq")

        member_ids = cast(list[str], d.pop("member_ids"))

        members = []
        _members = d.pop("members")
        for members_item_data in _members:
            members_item = MemberResponse.from_dict(members_item_data)

            members.append(members_item)

        def _parse_last_message_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                last_message_at_type_0 = datetime.datetime.fromisoformat(data)

                return last_message_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        last_message_at = _parse_last_message_at(d.pop("last_message_at", UNSET))

        def _parse_title(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        title = _parse_title(d.pop("title", UNSET))

        def _parse_unread_count(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        unread_count = _parse_unread_count(d.pop("unread_count", UNSET))

        conversation_response = cls(
            created_at=created_at,
            id=id,
            kind=kind,
            last_seq=last_seq,
            member_ids=member_ids,
            members=members,
            last_message_at=last_message_at,
            title=title,
            unread_count=unread_count,
        )

        conversation_response.additional_properties = d
        return conversation_response

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
