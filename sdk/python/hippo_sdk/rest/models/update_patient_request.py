from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.phi_request import PhiRequest


T = TypeVar("T", bound="UpdatePatientRequest")


@_attrs_define
class UpdatePatientRequest:
    """
    Attributes:
        display_name (None | str | Unset):
        member_ids (list[str] | None | Unset): The whole care team (replaces the members).
        mrn (None | str | Unset):
        opt_in_source (None | str | Unset):
        phone (None | str | Unset):
        residence_state (None | str | Unset): A US postal code such as `CA`; `null` removes it.
        vip (bool | None | Unset):
        whatsapp_opt_in (bool | None | Unset):
        whatsapp_phi_request (None | PhiRequest | Unset):
        workforce_member (bool | None | Unset):
    """

    display_name: None | str | Unset = UNSET
    member_ids: list[str] | None | Unset = UNSET
    mrn: None | str | Unset = UNSET
    opt_in_source: None | str | Unset = UNSET
    phone: None | str | Unset = UNSET
    residence_state: None | str | Unset = UNSET
    vip: bool | None | Unset = UNSET
    whatsapp_opt_in: bool | None | Unset = UNSET
    whatsapp_phi_request: None | PhiRequest | Unset = UNSET
    workforce_member: bool | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.phi_request import PhiRequest  # noqa: PLC0415

        display_name: None | str | Unset
        if isinstance(self.display_name, Unset):
            display_name = UNSET
        else:
            display_name = self.display_name

        member_ids: list[str] | None | Unset
        if isinstance(self.member_ids, Unset):
            member_ids = UNSET
        elif isinstance(self.member_ids, list):
            member_ids = self.member_ids

        else:
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

        phone: None | str | Unset
        if isinstance(self.phone, Unset):
            phone = UNSET
        else:
            phone = self.phone

        residence_state: None | str | Unset
        if isinstance(self.residence_state, Unset):
            residence_state = UNSET
        else:
            residence_state = self.residence_state

        vip: bool | None | Unset
        if isinstance(self.vip, Unset):
            vip = UNSET
        else:
            vip = self.vip

        whatsapp_opt_in: bool | None | Unset
        if isinstance(self.whatsapp_opt_in, Unset):
            whatsapp_opt_in = UNSET
        else:
            whatsapp_opt_in = self.whatsapp_opt_in

        whatsapp_phi_request: dict[str, Any] | None | Unset
        if isinstance(self.whatsapp_phi_request, Unset):
            whatsapp_phi_request = UNSET
        elif isinstance(self.whatsapp_phi_request, PhiRequest):
            whatsapp_phi_request = self.whatsapp_phi_request.to_dict()
        else:
            whatsapp_phi_request = self.whatsapp_phi_request

        workforce_member: bool | None | Unset
        if isinstance(self.workforce_member, Unset):
            workforce_member = UNSET
        else:
            workforce_member = self.workforce_member

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if display_name is not UNSET:
            field_dict["display_name"] = display_name
        if member_ids is not UNSET:
            field_dict["member_ids"] = member_ids
        if mrn is not UNSET:
            field_dict["mrn"] = mrn
        if opt_in_source is not UNSET:
            field_dict["opt_in_source"] = opt_in_source
        if phone is not UNSET:
            field_dict["phone"] = phone
        if residence_state is not UNSET:
            field_dict["residence_state"] = residence_state
        if vip is not UNSET:
            field_dict["vip"] = vip
        if whatsapp_opt_in is not UNSET:
            field_dict["whatsapp_opt_in"] = whatsapp_opt_in
        if whatsapp_phi_request is not UNSET:
            field_dict["whatsapp_phi_request"] = whatsapp_phi_request
        if workforce_member is not UNSET:
            field_dict["workforce_member"] = workforce_member

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.phi_request import PhiRequest  # noqa: PLC0415

        d = dict(src_dict)

        def _parse_display_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        display_name = _parse_display_name(d.pop("display_name", UNSET))

        def _parse_member_ids(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                member_ids_type_0 = cast(list[str], data)

                return member_ids_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        member_ids = _parse_member_ids(d.pop("member_ids", UNSET))

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

        def _parse_phone(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        phone = _parse_phone(d.pop("phone", UNSET))

        def _parse_residence_state(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        residence_state = _parse_residence_state(d.pop("residence_state", UNSET))

        def _parse_vip(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        vip = _parse_vip(d.pop("vip", UNSET))

        def _parse_whatsapp_opt_in(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        whatsapp_opt_in = _parse_whatsapp_opt_in(d.pop("whatsapp_opt_in", UNSET))

        def _parse_whatsapp_phi_request(data: object) -> None | PhiRequest | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                whatsapp_phi_request_type_0 = PhiRequest.from_dict(data)

                return whatsapp_phi_request_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | PhiRequest | Unset, data)

        whatsapp_phi_request = _parse_whatsapp_phi_request(d.pop("whatsapp_phi_request", UNSET))

        def _parse_workforce_member(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        workforce_member = _parse_workforce_member(d.pop("workforce_member", UNSET))

        update_patient_request = cls(
            display_name=display_name,
            member_ids=member_ids,
            mrn=mrn,
            opt_in_source=opt_in_source,
            phone=phone,
            residence_state=residence_state,
            vip=vip,
            whatsapp_opt_in=whatsapp_opt_in,
            whatsapp_phi_request=whatsapp_phi_request,
            workforce_member=workforce_member,
        )

        return update_patient_request
