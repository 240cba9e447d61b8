from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.phi_request_response import PhiRequestResponse


T = TypeVar("T", bound="PatientResponse")


@_attrs_define
class PatientResponse:
    """
    Attributes:
        conversation_id (str):
        created_at (datetime.datetime):
        display_name (str):
        id (str):
        member_ids (list[str]):
        phone (str):
        vip (bool): Reads from outside the care team raise an alert.
        whatsapp_opt_in (bool):
        workforce_member (bool):
        last_inbound_at (datetime.datetime | None | Unset): When the patient last wrote (opens the 24-hour window for
            free text).
        mrn (None | str | Unset):
        opt_in_at (datetime.datetime | None | Unset):
        opt_in_by (None | str | Unset):
        opt_in_source (None | str | Unset):
        opted_out_at (datetime.datetime | None | Unset):
        residence_state (None | str | Unset): State of residence (a US postal code), where known.
        whatsapp_phi_request (None | PhiRequestResponse | Unset):
    """

    conversation_id: str
    created_at: datetime.datetime
    display_name: str
    id: str
    member_ids: list[str]
    phone: str
    vip: bool
    whatsapp_opt_in: bool
    workforce_member: bool
    last_inbound_at: datetime.datetime | None | Unset = UNSET
    mrn: None | str | Unset = UNSET
    opt_in_at: datetime.datetime | None | Unset = UNSET
    opt_in_by: None | str | Unset = UNSET
    opt_in_source: None | str | Unset = UNSET
    opted_out_at: datetime.datetime | None | Unset = UNSET
    residence_state: None | str | Unset = UNSET
    whatsapp_phi_request: None | PhiRequestResponse | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.phi_request_response import PhiRequestResponse  # noqa: PLC0415

        conversation_id = self.conversation_id

        created_at = self.created_at.isoformat()

        display_name = self.display_name

        id = self.id

        member_ids = self.member_ids

        phone = self.phone

        vip = self.vip

        whatsapp_opt_in = self.whatsapp_opt_in

        workforce_member = self.workforce_member

        last_inbound_at: None | str | Unset
        if isinstance(self.last_inbound_at, Unset):
            last_inbound_at = UNSET
        elif isinstance(self.last_inbound_at, datetime.datetime):
            last_inbound_at = self.last_inbound_at.isoformat()
        else:
            last_inbound_at = self.last_inbound_at

        mrn: None | str | Unset
        if isinstance(self.mrn, Unset):
            mrn = UNSET
        else:
            mrn = self.mrn

        opt_in_at: None | str | Unset
        if isinstance(self.opt_in_at, Unset):
            opt_in_at = UNSET
        elif isinstance(self.opt_in_at, datetime.datetime):
            opt_in_at = self.opt_in_at.isoformat()
        else:
            opt_in_at = self.opt_in_at

        opt_in_by: None | str | Unset
        if isinstance(self.opt_in_by, Unset):
            opt_in_by = UNSET
        else:
            opt_in_by = self.opt_in_by

        opt_in_source: None | str | Unset
        if isinstance(self.opt_in_source, Unset):
            opt_in_source = UNSET
        else:
            opt_in_source = self.opt_in_source

        opted_out_at: None | str | Unset
        if isinstance(self.opted_out_at, Unset):
            opted_out_at = UNSET
        elif isinstance(self.opted_out_at, datetime.datetime):
            opted_out_at = self.opted_out_at.isoformat()
        else:
            opted_out_at = self.opted_out_at

        residence_state: None | str | Unset
        if isinstance(self.residence_state, Unset):
            residence_state = UNSET
        else:
            residence_state = self.residence_state

        whatsapp_phi_request: dict[str, Any] | None | Unset
        if isinstance(self.whatsapp_phi_request, Unset):
            whatsapp_phi_request = UNSET
        elif isinstance(self.whatsapp_phi_request, PhiRequestResponse):
            whatsapp_phi_request = self.whatsapp_phi_request.to_dict()
        else:
            whatsapp_phi_request = self.whatsapp_phi_request

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "conversation_id": conversation_id,
                "created_at": created_at,
                "display_name": display_name,
                "id": id,
                "member_ids": member_ids,
                "phone": phone,
                "vip": vip,
                "whatsapp_opt_in": whatsapp_opt_in,
                "workforce_member": workforce_member,
            }
        )
        if last_inbound_at is not UNSET:
            field_dict["last_inbound_at"] = last_inbound_at
        if mrn is not UNSET:
            field_dict["mrn"] = mrn
        if opt_in_at is not UNSET:
            field_dict["opt_in_at"] = opt_in_at
        if opt_in_by is not UNSET:
            field_dict["opt_in_by"] = opt_in_by
        if opt_in_source is not UNSET:
            field_dict["opt_in_source"] = opt_in_source
        if opted_out_at is not UNSET:
            field_dict["opted_out_at"] = opted_out_at
        if residence_state is not UNSET:
            field_dict["residence_state"] = residence_state
        if whatsapp_phi_request is not UNSET:
            field_dict["whatsapp_phi_request"] = whatsapp_phi_request

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.phi_request_response import PhiRequestResponse  # noqa: PLC0415

        d = dict(src_dict)
        conversation_id = d.pop("conversation_id")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        display_name = d.pop("display_name")

        id = d.pop("id")

        member_ids = cast(list[str], d.pop("member_ids"))

        phone = d.pop("phone")

        vip = d.pop("vip")

        whatsapp_opt_in = d.pop("whatsapp_opt_in")

        workforce_member = d.pop("workforce_member")

        def _parse_last_inbound_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                last_inbound_at_type_0 = datetime.datetime.fromisoformat(data)

                return last_inbound_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        last_inbound_at = _parse_last_inbound_at(d.pop("last_inbound_at", UNSET))

        def _parse_mrn(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        mrn = _parse_mrn(d.pop("mrn", UNSET))

        def _parse_opt_in_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                opt_in_at_type_0 = datetime.datetime.fromisoformat(data)

                return opt_in_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        opt_in_at = _parse_opt_in_at(d.pop("opt_in_at", UNSET))

        def _parse_opt_in_by(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        opt_in_by = _parse_opt_in_by(d.pop("opt_in_by", UNSET))

        def _parse_opt_in_source(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        opt_in_source = _parse_opt_in_source(d.pop("opt_in_source", UNSET))

        def _parse_opted_out_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                opted_out_at_type_0 = datetime.datetime.fromisoformat(data)

                return opted_out_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        opted_out_at = _parse_opted_out_at(d.pop("opted_out_at", UNSET))

        def _parse_residence_state(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        residence_state = _parse_residence_state(d.pop("residence_state", UNSET))

        def _parse_whatsapp_phi_request(data: object) -> None | PhiRequestResponse | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                whatsapp_phi_request_type_0 = PhiRequestResponse.from_dict(data)

                return whatsapp_phi_request_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | PhiRequestResponse | Unset, data)

        whatsapp_phi_request = _parse_whatsapp_phi_request(d.pop("whatsapp_phi_request", UNSET))

        patient_response = cls(
            conversation_id=conversation_id,
            created_at=created_at,
            display_name=display_name,
            id=id,
            member_ids=member_ids,
            phone=phone,
            vip=vip,
            whatsapp_opt_in=whatsapp_opt_in,
            workforce_member=workforce_member,
            last_inbound_at=last_inbound_at,
            mrn=mrn,
            opt_in_at=opt_in_at,
            opt_in_by=opt_in_by,
            opt_in_source=opt_in_source,
            opted_out_at=opted_out_at,
            residence_state=residence_state,
            whatsapp_phi_request=whatsapp_phi_request,
        )

        patient_response.additional_properties = d
        return patient_response

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
