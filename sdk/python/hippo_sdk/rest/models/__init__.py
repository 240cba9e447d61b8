"""Contains all the data models used in inputs/outputs"""

from .access_review_entry_response import AccessReviewEntryResponse
from .access_review_response import AccessReviewResponse
from .account_counts_response import AccountCountsResponse
from .add_member_request import AddMemberRequest
from .alert_kind import AlertKind
from .alert_response import AlertResponse
from .alert_response_detail import AlertResponseDetail
from .alert_severity import AlertSeverity
from .alerts_response import AlertsResponse
from .api_key_list_response import ApiKeyListResponse
from .api_key_response import ApiKeyResponse
from .api_key_state import ApiKeyState
from .attachment_response import AttachmentResponse
from .attempt_response import AttemptResponse
from .audit_action import AuditAction
from .audit_event import AuditEvent
from .audit_event_detail_type_0 import AuditEventDetailType0
from .audit_page_response import AuditPageResponse
from .call_end_reason import CallEndReason
from .call_list import CallList
from .call_media import CallMedia
from .call_participant_response import CallParticipantResponse
from .call_response import CallResponse
from .call_state import CallState
from .call_topology import CallTopology
from .change_password_request import ChangePasswordRequest
from .channel import Channel
from .channel_state import ChannelState
from .channel_status_response import ChannelStatusResponse
from .close_incident_request import CloseIncidentRequest
from .consistency_response import ConsistencyResponse
from .conversation_kind import ConversationKind
from .conversation_list import ConversationList
from .conversation_response import ConversationResponse
from .create_api_key_request import CreateApiKeyRequest
from .create_conversation_request import CreateConversationRequest
from .create_incident_request import CreateIncidentRequest
from .create_patient_request import CreatePatientRequest
from .create_user_request import CreateUserRequest
from .create_webhook_request import CreateWebhookRequest
from .created_api_key_response import CreatedApiKeyResponse
from .created_webhook_response import CreatedWebhookResponse
from .day_counts_response import DayCountsResponse
from .delivery_list_response import DeliveryListResponse
from .delivery_response import DeliveryResponse
from .delivery_state import DeliveryState
from .directory_response import DirectoryResponse
from .discloser_response import DiscloserResponse
from .disclosure_kind import DisclosureKind
from .disclosure_response import DisclosureResponse
from .disclosures_response import DisclosuresResponse
from .edit_message_request import EditMessageRequest
from .erase_request import EraseRequest
from .evidence_account_response import EvidenceAccountResponse
from .evidence_report_response import EvidenceReportResponse
from .evidence_response import EvidenceResponse
from .export_format import ExportFormat
from .export_patient_response_200 import ExportPatientResponse200
from .fhir_bundle import FhirBundle
from .fhir_bundle_entry import FhirBundleEntry
from .fhir_bundle_link import FhirBundleLink
from .fhir_resource import FhirResource
from .finding_response import FindingResponse
from .finding_severity import FindingSeverity
from .get_async_api_response_200 import GetAsyncApiResponse200
from .get_open_api_response_200 import GetOpenApiResponse200
from .grant_filter import GrantFilter
from .grant_response import GrantResponse
from .ice_server_response import IceServerResponse
from .ice_servers_response import IceServersResponse
from .incident_outcome import IncidentOutcome
from .incident_response import IncidentResponse
from .incident_response_by_state import IncidentResponseByState
from .incident_scope_response import IncidentScopeResponse
from .incident_status import IncidentStatus
from .incidents_response import IncidentsResponse
from .inclusion_response import InclusionResponse
from .issue_severity import IssueSeverity
from .job_outcome import JobOutcome
from .job_run_response import JobRunResponse
from .key_age_response import KeyAgeResponse
from .legal_hold_request import LegalHoldRequest
from .login_request import LoginRequest
from .login_response import LoginResponse
from .mark_read_request import MarkReadRequest
from .member_response import MemberResponse
from .message_page_response import MessagePageResponse
from .message_response import MessageResponse
from .new_conversation_kind import NewConversationKind
from .notice_audience import NoticeAudience
from .notice_request import NoticeRequest
from .notice_response import NoticeResponse
from .open_break_glass_response import OpenBreakGlassResponse
from .open_incident_response import OpenIncidentResponse
from .open_request import OpenRequest
from .operation_outcome import OperationOutcome
from .operation_outcome_issue import OperationOutcomeIssue
from .outbox_job_response import OutboxJobResponse
from .outbox_response import OutboxResponse
from .outbox_state import OutboxState
from .outcome import Outcome
from .participant_state import ParticipantState
from .password_reset_response import PasswordResetResponse
from .patient_export_format import PatientExportFormat
from .patient_match_response import PatientMatchResponse
from .patient_matches_response import PatientMatchesResponse
from .patient_response import PatientResponse
from .patients_response import PatientsResponse
from .pending_notice_response import PendingNoticeResponse
from .phi_mode import PhiMode
from .phi_request import PhiRequest
from .phi_request_response import PhiRequestResponse
from .priority import Priority
from .problem import Problem
from .queue_response import QueueResponse
from .receipt_list import ReceiptList
from .receipt_response import ReceiptResponse
from .receive_whatsapp_webhook_body import ReceiveWhatsappWebhookBody
from .report_format import ReportFormat
from .report_response import ReportResponse
from .resolve_request import ResolveRequest
from .resolve_response import ResolveResponse
from .resolved_patient_response import ResolvedPatientResponse
from .resolved_user_response import ResolvedUserResponse
from .review_request import ReviewRequest
from .role import Role
from .safeguard_response import SafeguardResponse
from .send_message_request import SendMessageRequest
from .session_list import SessionList
from .session_response import SessionResponse
from .session_transport import SessionTransport
from .sessions_ended_response import SessionsEndedResponse
from .start_call_request import StartCallRequest
from .tally_response import TallyResponse
from .template_patch import TemplatePatch
from .template_response import TemplateResponse
from .template_send_request import TemplateSendRequest
from .templates_response import TemplatesResponse
from .totp_confirm_request import TotpConfirmRequest
from .totp_confirm_response import TotpConfirmResponse
from .totp_enrollment_response import TotpEnrollmentResponse
from .tree_head_response import TreeHeadResponse
from .update_conversation_request import UpdateConversationRequest
from .update_patient_request import UpdatePatientRequest
from .update_user_request import UpdateUserRequest
from .user_list import UserList
from .user_response import UserResponse
from .user_session_list import UserSessionList
from .user_session_response import UserSessionResponse
from .user_status import UserStatus
from .verify_response import VerifyResponse
from .webhook_event_type import WebhookEventType
from .webhook_list_response import WebhookListResponse
from .webhook_response import WebhookResponse
from .whatsapp_send_request import WhatsappSendRequest

__all__ = (
    "AccessReviewEntryResponse",
    "AccessReviewResponse",
    "AccountCountsResponse",
    "AddMemberRequest",
    "AlertKind",
    "AlertResponse",
    "AlertResponseDetail",
    "AlertSeverity",
    "AlertsResponse",
    "ApiKeyListResponse",
    "ApiKeyResponse",
    "ApiKeyState",
    "AttachmentResponse",
    "AttemptResponse",
    "AuditAction",
    "AuditEvent",
    "AuditEventDetailType0",
    "AuditPageResponse",
    "CallEndReason",
    "CallList",
    "CallMedia",
    "CallParticipantResponse",
    "CallResponse",
    "CallState",
    "CallTopology",
    "ChangePasswordRequest",
    "Channel",
    "ChannelState",
    "ChannelStatusResponse",
    "CloseIncidentRequest",
    "ConsistencyResponse",
    "ConversationKind",
    "ConversationList",
    "ConversationResponse",
    "CreateApiKeyRequest",
    "CreateConversationRequest",
    "CreatedApiKeyResponse",
    "CreatedWebhookResponse",
    "CreateIncidentRequest",
    "CreatePatientRequest",
    "CreateUserRequest",
    "CreateWebhookRequest",
    "DayCountsResponse",
    "DeliveryListResponse",
    "DeliveryResponse",
    "DeliveryState",
    "DirectoryResponse",
    "DiscloserResponse",
    "DisclosureKind",
    "DisclosureResponse",
    "DisclosuresResponse",
    "EditMessageRequest",
    "EraseRequest",
    "EvidenceAccountResponse",
    "EvidenceReportResponse",
    "EvidenceResponse",
    "ExportFormat",
    "ExportPatientResponse200",
    "FhirBundle",
    "FhirBundleEntry",
    "FhirBundleLink",
    "FhirResource",
    "FindingResponse",
    "FindingSeverity",
    "GetAsyncApiResponse200",
    "GetOpenApiResponse200",
    "GrantFilter",
    "GrantResponse",
    "IceServerResponse",
    "IceServersResponse",
    "IncidentOutcome",
    "IncidentResponse",
    "IncidentResponseByState",
    "IncidentScopeResponse",
    "IncidentsResponse",
    "IncidentStatus",
    "InclusionResponse",
    "IssueSeverity",
    "JobOutcome",
    "JobRunResponse",
    "KeyAgeResponse",
    "LegalHoldRequest",
    "LoginRequest",
    "LoginResponse",
    "MarkReadRequest",
    "MemberResponse",
    "MessagePageResponse",
    "MessageResponse",
    "NewConversationKind",
    "NoticeAudience",
    "NoticeRequest",
    "NoticeResponse",
    "OpenBreakGlassResponse",
    "OpenIncidentResponse",
    "OpenRequest",
    "OperationOutcome",
    "OperationOutcomeIssue",
    "OutboxJobResponse",
    "OutboxResponse",
    "OutboxState",
    "Outcome",
    "ParticipantState",
    "PasswordResetResponse",
    "PatientExportFormat",
    "PatientMatchesResponse",
    "PatientMatchResponse",
    "PatientResponse",
    "PatientsResponse",
    "PendingNoticeResponse",
    "PhiMode",
    "PhiRequest",
    "PhiRequestResponse",
    "Priority",
    "Problem",
    "QueueResponse",
    "ReceiptList",
    "ReceiptResponse",
    "ReceiveWhatsappWebhookBody",
    "ReportFormat",
    "ReportResponse",
    "ResolvedPatientResponse",
    "ResolvedUserResponse",
    "ResolveRequest",
    "ResolveResponse",
    "ReviewRequest",
    "Role",
    "SafeguardResponse",
    "SendMessageRequest",
    "SessionList",
    "SessionResponse",
    "SessionsEndedResponse",
    "SessionTransport",
    "StartCallRequest",
    "TallyResponse",
    "TemplatePatch",
    "TemplateResponse",
    "TemplateSendRequest",
    "TemplatesResponse",
    "TotpConfirmRequest",
    "TotpConfirmResponse",
    "TotpEnrollmentResponse",
    "TreeHeadResponse",
    "UpdateConversationRequest",
    "UpdatePatientRequest",
    "UpdateUserRequest",
    "UserList",
    "UserResponse",
    "UserSessionList",
    "UserSessionResponse",
    "UserStatus",
    "VerifyResponse",
    "WebhookEventType",
    "WebhookListResponse",
    "WebhookResponse",
    "WhatsappSendRequest",
)
