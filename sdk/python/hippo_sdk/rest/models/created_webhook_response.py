from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.webhook_response import WebhookResponse


T = TypeVar("T", bound="CreatedWebhookResponse")


@_attrs_define
class CreatedWebhookResponse:
    """A new endpoint: the only time `secret` is shown.

    Attributes:
        id (str):
        secret (str): `whsec_…`: verify `webhook-signature` with it (Standard Webhooks).
        webhook (WebhookResponse):
    """

    id: str
    secret: str
    webhook: WebhookResponse
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        secret = self.secret

        webhook = self.webhook.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "secret": secret,
                "webhook": webhook,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.webhook_response import WebhookResponse  # noqa: PLC0415

        d = dict(src_dict)
        id = d.pop("id")

        secret = d.pop("secret")

        webhook = WebhookResponse.from_dict(d.pop("webhook"))

        created_webhook_response = cls(
            id=id,
            secret=secret,
            webhook=webhook,
        )

        created_webhook_response.additional_properties = d
        return created_webhook_response

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
