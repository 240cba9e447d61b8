from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="AttachmentResponse")


@_attrs_define
class AttachmentResponse:
    """An uploaded file as clients see it; the bytes are at
    `GET /api/v1/attachments/{id}`.

        Attributes:
            content_type (str):
            filename (str):
            id (str):
            sha256 (str): Lower-case hex SHA-256 of the bytes.
            size (int): Bytes.
    """

    content_type: str
    filename: str
    id: str
    sha256: str
    size: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        content_type = self.content_type

        filename = self.filename

        id = self.id

        sha256 = self.sha256

        size = self.size

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "content_type": content_type,
                "filename": filename,
                "id": id,
                "sha256": sha256,
                "size": size,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        content_type = d.pop("content_type")

        filename = d.pop("filename")

        id = d.pop("id")

        sha256 = d.pop("sha256")

        size = d.pop("size")

        attachment_response = cls(
            content_type=content_type,
            filename=filename,
            id=id,
            sha256=sha256,
            size=size,
        )

        attachment_response.additional_properties = d
        return attachment_response

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
