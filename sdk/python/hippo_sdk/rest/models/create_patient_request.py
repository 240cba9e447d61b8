from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="CreatePatientRequest")


@_attrs_define
class CreatePatientRequest:
    """
    Attributes:
        display_name (str):
        phone (str): E.164, e.g. `+16505551234`.
        whatsapp_opt_in (bool):
        member_ids (list[str] | Unset): The care team besides the caller.
        mrn (None | str | Unset):
        opt_in_source (None | str | Unset): How consent was given (e.g. "signed form at front desk").
        residence_state (None | str | Unset): State of residence, a US postal code such as `CA` (counts the
            patients a breach touched per state).
        vip (bool | Unset): A VIP: reads from outside the care team raise an alert.
        workforce_member (bool | Unset): A member of the organisation's workforce: likewise.
    """

    display_name: str
    phone: str
    whatsapp_opt_in: bool
    member_ids: list[str] | Unset = UNSET
    mrn: None | str | Unset = UNSET
    opt_in_source: None | str | Unset = UNSET
    residence_state: None | str | Unset = UNSET
    vip: bool | Unset = UNSET
    workforce_member: bool | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        display_name = self.display_name

        phone = self.phone

        whatsapp_opt_in = self.whatsapp_opt_in

        member_ids: list[str] | Unset = UNSET
        if not isinstance(self.member_ids, Unset):
            member_ids = self.member_ids

        mrn: None | str | Unset
        if isinstance(self.mrn, Unset):
            mrn = UNSET
        else:
            mrn = self.mrn

        opt_in_source: None | str | Unset
        if isinstance(self.opt_in_source, Unset):
            opt_in_source = UNSET
        else:
            opt_in_source = self.opt_in_source

        residence_state: None | str | Unset
        if isinstance(self.residence_state, Unset):
            residence_state = UNSET
        else:
            residence_state = self.residence_state

        vip = self.vip

        workforce_member = self.workforce_member

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "display_name": display_name,
                "phone": phone,
                "whatsapp_opt_in": whatsapp_opt_in,
            }
        )
        if member_ids is not UNSET:
            field_dict["member_ids"] = member_ids
        if mrn is not UNSET:
            field_dict["mrn"] = mrn
        if opt_in_source is not UNSET:
            field_dict["opt_in_source"] = opt_in_source
        if residence_state is not UNSET:
            field_dict["residence_state"] = residence_state
        if vip is not UNSET:
            field_dict["vip"] = vip
        if workforce_member is not UNSET:
            field_dict["workforce_member"] = workforce_member

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        display_name = d.pop("display_name")

        phone = d.pop("phone")

        whatsapp_opt_in = d.pop("whatsapp_opt_in")

        member_ids = cast(list[str], d.pop("member_ids", UNSET))

        def _parse_mrn(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        mrn = _parse_mrn(d.pop("mrn", UNSET))

        def _parse_opt_in_source(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        opt_in_source = _parse_opt_in_source(d.pop("opt_in_source", UNSET))

        def _parse_residence_state(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        residence_state = _parse_residence_state(d.pop("residence_state", UNSET))

        vip = d.pop("vip", UNSET)

        workforce_member = d.pop("workforce_member", UNSET)

        create_patient_request = cls(
            display_name=display_name,
            phone=phone,
            whatsapp_opt_in=whatsapp_opt_in,
            member_ids=member_ids,
            mrn=mrn,
            opt_in_source=opt_in_source,
            residence_state=residence_state,
            vip=vip,
            workforce_member=workforce_member,
        )

        return create_patient_request
