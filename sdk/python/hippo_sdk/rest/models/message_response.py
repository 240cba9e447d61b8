from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.channel import Channel
from ..models.priority import Priority
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.attachment_response import AttachmentResponse
    from ..models.channel_status_response import ChannelStatusResponse


T = TypeVar("T", bound="MessageResponse")


@_attrs_define
class MessageResponse:
    """A message. A recalled message has `deleted: true` and no body.

    Attributes:
        attachments (list[AttachmentResponse]):
        channel (Channel): Where the message travels: inside hippo, or to and from a patient on
             WhatsApp.
        conversation_id (str):
        created_at (datetime.datetime):
        deleted (bool):
        id (str):
        priority (Priority): How the message is flagged to its readers.
        sender_id (str):
        seq (int): 1, 2, 3… within the conversation, no gaps.
        body (None | str | Unset):
        channel_status (ChannelStatusResponse | None | Unset):
        client_id (None | str | Unset):
        edited_at (datetime.datetime | None | Unset):
    """

    attachments: list[AttachmentResponse]
    channel: Channel
    conversation_id: str
    created_at: datetime.datetime
    deleted: bool
    id: str
    priority: Priority
    sender_id: str
    seq: int
    body: None | str | Unset = UNSET
    channel_status: ChannelStatusResponse | None | Unset = UNSET
    client_id: None | str | Unset = UNSET
    edited_at: datetime.datetime | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.channel_status_response import ChannelStatusResponse  # noqa: PLC0415

        attachments = []
        for attachments_item_data in self.attachments:
            attachments_item = attachments_item_data.to_dict()
            attachments.append(attachments_item)

        channel = self.channel.value

        conversation_id = self.conversation_id

        created_at = self.created_at.isoformat()

        deleted = self.deleted

        id = self.id

        priority = self.priority.value

        sender_id = self.sender_id

        seq = self.seq

        body: None | str | Unset
        if isinstance(self.body, Unset):
            body = UNSET
        else:
            body = self.body

        channel_status: dict[str, Any] | None | Unset
        if isinstance(self.channel_status, Unset):
            channel_status = UNSET
        elif isinstance(self.channel_status, ChannelStatusResponse):
            channel_status = self.channel_status.to_dict()
        else:
            channel_status = self.channel_status

        client_id: None | str | Unset
        if isinstance(self.client_id, Unset):
            client_id = UNSET
        else:
            client_id = self.client_id

        edited_at: None | str | Unset
        if isinstance(self.edited_at, Unset):
            edited_at = UNSET
        elif isinstance(self.edited_at, datetime.datetime):
            edited_at = self.edited_at.isoformat()
        else:
            edited_at = self.edited_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "attachments": attachments,
                "channel": channel,
                "conversation_id": conversation_id,
                "created_at": created_at,
                "deleted": deleted,
                "id": id,
                "priority": priority,
                "sender_id": sender_id,
                "seq": seq,
            }
        )
        if body is not UNSET:
            field_dict["body"] = body
        if channel_status is not UNSET:
            field_dict["channel_status"] = channel_status
        if client_id is not UNSET:
            field_dict["client_id"] = client_id
        if edited_at is not UNSET:
            field_dict["edited_at"] = edited_at

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.attachment_response import AttachmentResponse  # noqa: PLC0415
        from ..models.channel_status_response import ChannelStatusResponse  # noqa: PLC0415

        d = dict(src_dict)
        attachments = []
        _attachments = d.pop("attachments")
        for attachments_item_data in _attachments:
            attachments_item = AttachmentResponse.from_dict(attachments_item_data)

            attachments.append(attachments_item)

        channel = Channel(d.pop("channel"))

        conversation_id = d.pop("conversation_id")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        deleted = d.pop("deleted")

        id = d.pop("id")

        priority = Priority(d.pop("priority"))

        sender_id = d.pop("sender_id")

        seq = d.pop("seq")

        def _parse_body(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        body = _parse_body(d.pop("body", UNSET))

        def _parse_channel_status(data: object) -> ChannelStatusResponse | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                channel_status_type_0 = ChannelStatusResponse.from_dict(data)

                return channel_status_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(ChannelStatusResponse | None | Unset, data)

        channel_status = _parse_channel_status(d.pop("channel_status", UNSET))

        def _parse_client_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        client_id = _parse_client_id(d.pop("client_id", UNSET))

        def _parse_edited_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                edited_at_type_0 = datetime.datetime.fromisoformat(data)

                return edited_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        edited_at = _parse_edited_at(d.pop("edited_at", UNSET))

        message_response = cls(
            attachments=attachments,
            channel=channel,
            conversation_id=conversation_id,
            created_at=created_at,
            deleted=deleted,
            id=id,
            priority=priority,
            sender_id=sender_id,
            seq=seq,
            body=body,
            channel_status=channel_status,
            client_id=client_id,
            edited_at=edited_at,
        )

        message_response.additional_properties = d
        return message_response

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
