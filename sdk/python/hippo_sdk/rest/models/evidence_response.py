from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.account_counts_response import AccountCountsResponse
    from ..models.alert_response import AlertResponse
    from ..models.day_counts_response import DayCountsResponse
    from ..models.evidence_account_response import EvidenceAccountResponse
    from ..models.job_run_response import JobRunResponse
    from ..models.key_age_response import KeyAgeResponse
    from ..models.open_break_glass_response import OpenBreakGlassResponse
    from ..models.open_incident_response import OpenIncidentResponse


T = TypeVar("T", bound="EvidenceResponse")


@_attrs_define
class EvidenceResponse:
    """What the findings rest on.

    Attributes:
        accounts (AccountCountsResponse): How many accounts there are.
        accounts_without_mfa (list[EvidenceAccountResponse]): Active accounts without MFA.
        daily (list[DayCountsResponse]): The last 30 UTC days, oldest first, today last.
        dormant_accounts (list[EvidenceAccountResponse]): Active accounts unused for 90 days.
        open_alerts (list[AlertResponse]): Security alerts not yet reviewed, newest first.
        open_break_glass (list[OpenBreakGlassResponse]): Break-glass accesses awaiting review.
        open_incidents (list[OpenIncidentResponse]): Breach incidents not yet closed, newest discovery first.
        last_audit_verification (JobRunResponse | None | Unset):
        last_backup (JobRunResponse | None | Unset):
        last_restore_drill (JobRunResponse | None | Unset):
        master_key (KeyAgeResponse | None | Unset):
        signing_key (KeyAgeResponse | None | Unset):
    """

    accounts: AccountCountsResponse
    accounts_without_mfa: list[EvidenceAccountResponse]
    daily: list[DayCountsResponse]
    dormant_accounts: list[EvidenceAccountResponse]
    open_alerts: list[AlertResponse]
    open_break_glass: list[OpenBreakGlassResponse]
    open_incidents: list[OpenIncidentResponse]
    last_audit_verification: JobRunResponse | None | Unset = UNSET
    last_backup: JobRunResponse | None | Unset = UNSET
    last_restore_drill: JobRunResponse | None | Unset = UNSET
    master_key: KeyAgeResponse | None | Unset = UNSET
    signing_key: KeyAgeResponse | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.job_run_response import JobRunResponse  # noqa: PLC0415
        from ..models.key_age_response import KeyAgeResponse  # noqa: PLC0415

        accounts = self.accounts.to_dict()

        accounts_without_mfa = []
        for accounts_without_mfa_item_data in self.accounts_without_mfa:
            accounts_without_mfa_item = accounts_without_mfa_item_data.to_dict()
            accounts_without_mfa.append(accounts_without_mfa_item)

        daily = []
        for daily_item_data in self.daily:
            daily_item = daily_item_data.to_dict()
            daily.append(daily_item)

        dormant_accounts = []
        for dormant_accounts_item_data in self.dormant_accounts:
            dormant_accounts_item = dormant_accounts_item_data.to_dict()
            dormant_accounts.append(dormant_accounts_item)

        open_alerts = []
        for open_alerts_item_data in self.open_alerts:
            open_alerts_item = open_alerts_item_data.to_dict()
            open_alerts.append(open_alerts_item)

        open_break_glass = []
        for open_break_glass_item_data in self.open_break_glass:
            open_break_glass_item = open_break_glass_item_data.to_dict()
            open_break_glass.append(open_break_glass_item)

        open_incidents = []
        for open_incidents_item_data in self.open_incidents:
            open_incidents_item = open_incidents_item_data.to_dict()
            open_incidents.append(open_incidents_item)

        last_audit_verification: dict[str, Any] | None | Unset
        if isinstance(self.last_audit_verification, Unset):
            last_audit_verification = UNSET
        elif isinstance(self.last_audit_verification, JobRunResponse):
            last_audit_verification = self.last_audit_verification.to_dict()
        else:
            last_audit_verification = self.last_audit_verification

        last_backup: dict[str, Any] | None | Unset
        if isinstance(self.last_backup, Unset):
            last_backup = UNSET
        elif isinstance(self.last_backup, JobRunResponse):
            last_backup = self.last_backup.to_dict()
        else:
            last_backup = self.last_backup

        last_restore_drill: dict[str, Any] | None | Unset
        if isinstance(self.last_restore_drill, Unset):
            last_restore_drill = UNSET
        elif isinstance(self.last_restore_drill, JobRunResponse):
            last_restore_drill = self.last_restore_drill.to_dict()
        else:
            last_restore_drill = self.last_restore_drill

        master_key: dict[str, Any] | None | Unset
        if isinstance(self.master_key, Unset):
            master_key = UNSET
        elif isinstance(self.master_key, KeyAgeResponse):
            master_key = self.master_key.to_dict()
        else:
            master_key = self.master_key

        signing_key: dict[str, Any] | None | Unset
        if isinstance(self.signing_key, Unset):
            signing_key = UNSET
        elif isinstance(self.signing_key, KeyAgeResponse):
            signing_key = self.signing_key.to_dict()
        else:
            signing_key = self.signing_key

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "accounts": accounts,
                "accounts_without_mfa": accounts_without_mfa,
                "daily": daily,
                "dormant_accounts": dormant_accounts,
                "open_alerts": open_alerts,
                "open_break_glass": open_break_glass,
                "open_incidents": open_incidents,
            }
        )
        if last_audit_verification is not UNSET:
            field_dict["last_audit_verification"] = last_audit_verification
        if last_backup is not UNSET:
            field_dict["last_backup"] = last_backup
        if last_restore_drill is not UNSET:
            field_dict["last_restore_drill"] = last_restore_drill
        if master_key is not UNSET:
            field_dict["master_key"] = master_key
        if signing_key is not UNSET:
            field_dict["signing_key"] = signing_key

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.account_counts_response import AccountCountsResponse  # noqa: PLC0415
        from ..models.alert_response import AlertResponse  # noqa: PLC0415
        from ..models.day_counts_response import DayCountsResponse  # noqa: PLC0415
        from ..models.evidence_account_response import EvidenceAccountResponse  # noqa: PLC0415
        from ..models.job_run_response import JobRunResponse  # noqa: PLC0415
        from ..models.key_age_response import KeyAgeResponse  # noqa: PLC0415
        from ..models.open_break_glass_response import OpenBreakGlassResponse  # noqa: PLC0415
        from ..models.open_incident_response import OpenIncidentResponse  # noqa: PLC0415

        d = dict(src_dict)
        accounts = AccountCountsResponse.from_dict(d.pop("accounts"))

        accounts_without_mfa = []
        _accounts_without_mfa = d.pop("accounts_without_mfa")
        for accounts_without_mfa_item_data in _accounts_without_mfa:
            accounts_without_mfa_item = EvidenceAccountResponse.from_dict(accounts_without_mfa_item_data)

            accounts_without_mfa.append(accounts_without_mfa_item)

        daily = []
        _daily = d.pop("daily")
        for daily_item_data in _daily:
            daily_item = DayCountsResponse.from_dict(daily_item_data)

            daily.append(daily_item)

        dormant_accounts = []
        _dormant_accounts = d.pop("dormant_accounts")
        for dormant_accounts_item_data in _dormant_accounts:
            dormant_accounts_item = EvidenceAccountResponse.from_dict(dormant_accounts_item_data)

            dormant_accounts.append(dormant_accounts_item)

        open_alerts = []
        _open_alerts = d.pop("open_alerts")
        for open_alerts_item_data in _open_alerts:
            open_alerts_item = AlertResponse.from_dict(open_alerts_item_data)

            open_alerts.append(open_alerts_item)

        open_break_glass = []
        _open_break_glass = d.pop("open_break_glass")
        for open_break_glass_item_data in _open_break_glass:
            open_break_glass_item = OpenBreakGlassResponse.from_dict(open_break_glass_item_data)

            open_break_glass.append(open_break_glass_item)

        open_incidents = []
        _open_incidents = d.pop("open_incidents")
        for open_incidents_item_data in _open_incidents:
            open_incidents_item = OpenIncidentResponse.from_dict(open_incidents_item_data)

            open_incidents.append(open_incidents_item)

        def _parse_last_audit_verification(data: object) -> JobRunResponse | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                last_audit_verification_type_0 = JobRunResponse.from_dict(data)

                return last_audit_verification_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(JobRunResponse | None | Unset, data)

        last_audit_verification = _parse_last_audit_verification(d.pop("last_audit_verification", UNSET))

        def _parse_last_backup(data: object) -> JobRunResponse | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                last_backup_type_0 = JobRunResponse.from_dict(data)

                return last_backup_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(JobRunResponse | None | Unset, data)

        last_backup = _parse_last_backup(d.pop("last_backup", UNSET))

        def _parse_last_restore_drill(data: object) -> JobRunResponse | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                last_restore_drill_type_0 = JobRunResponse.from_dict(data)

                return last_restore_drill_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(JobRunResponse | None | Unset, data)

        last_restore_drill = _parse_last_restore_drill(d.pop("last_restore_drill", UNSET))

        def _parse_master_key(data: object) -> KeyAgeResponse | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                master_key_type_0 = KeyAgeResponse.from_dict(data)

                return master_key_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(KeyAgeResponse | None | Unset, data)

        master_key = _parse_master_key(d.pop("master_key", UNSET))

        def _parse_signing_key(data: object) -> KeyAgeResponse | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                signing_key_type_0 = KeyAgeResponse.from_dict(data)

                return signing_key_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(KeyAgeResponse | None | Unset, data)

        signing_key = _parse_signing_key(d.pop("signing_key", UNSET))

        evidence_response = cls(
            accounts=accounts,
            accounts_without_mfa=accounts_without_mfa,
            daily=daily,
            dormant_accounts=dormant_accounts,
            open_alerts=open_alerts,
            open_break_glass=open_break_glass,
            open_incidents=open_incidents,
            last_audit_verification=last_audit_verification,
            last_backup=last_backup,
            last_restore_drill=last_restore_drill,
            master_key=master_key,
            signing_key=signing_key,
        )

        evidence_response.additional_properties = d
        return evidence_response

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
