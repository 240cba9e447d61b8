// Short names for the schemas of the OpenAPI document (src/generated/openapi.ts).
// A schema renamed or removed on the server breaks the type check here.

import type { components } from "./generated/openapi.ts";

type S = components["schemas"];
/** Any schema of the OpenAPI document by its name: `Schema<"MessageResponse">`. */
export type Schema<K extends keyof S> = S[K];

// Messaging
export type Message = S["MessageResponse"];
export type MessagePage = S["MessagePageResponse"];
export type SendMessageRequest = S["SendMessageRequest"];
export type EditMessageRequest = S["EditMessageRequest"];
export type Attachment = S["AttachmentResponse"];
export type ChannelStatus = S["ChannelStatusResponse"];
export type Receipt = S["ReceiptResponse"];
export type ReceiptList = S["ReceiptList"];
export type Conversation = S["ConversationResponse"];
export type ConversationList = S["ConversationList"];
export type CreateConversationRequest = S["CreateConversationRequest"];
export type UpdateConversationRequest = S["UpdateConversationRequest"];
export type Member = S["MemberResponse"];
export type Directory = S["DirectoryResponse"];

// Accounts and sessions
export type User = S["UserResponse"];
export type UserList = S["UserList"];
export type CreateUserRequest = S["CreateUserRequest"];
export type UpdateUserRequest = S["UpdateUserRequest"];
export type LoginRequest = S["LoginRequest"];
export type LoginResponse = S["LoginResponse"];
export type Session = S["SessionResponse"];
export type SessionList = S["SessionList"];
export type TotpEnrollment = S["TotpEnrollmentResponse"];
export type TotpConfirmResponse = S["TotpConfirmResponse"];
export type PasswordReset = S["PasswordResetResponse"];

// Patients and WhatsApp
export type Patient = S["PatientResponse"];
export type PatientList = S["PatientsResponse"];
export type CreatePatientRequest = S["CreatePatientRequest"];
export type UpdatePatientRequest = S["UpdatePatientRequest"];
export type WhatsappTemplate = S["TemplateResponse"];
export type WhatsappSendRequest = S["WhatsappSendRequest"];

// Audit and oversight
export type AuditEvent = S["AuditEvent"];
export type AuditPage = S["AuditPageResponse"];
export type AuditVerify = S["VerifyResponse"];
export type TreeHead = S["TreeHeadResponse"];
export type BreakGlassGrant = S["GrantResponse"];
export type Alert = S["AlertResponse"];

// Calls
export type Call = S["CallResponse"];
export type CallParticipant = S["CallParticipantResponse"];
export type CallList = S["CallList"];
export type StartCallRequest = S["StartCallRequest"];
export type IceServers = S["IceServersResponse"];
export type IceServer = S["IceServerResponse"];

// Integrations: API keys of service accounts, outgoing webhooks
/** An API key as administrators see it (never the key itself). */
export type ApiKey = S["ApiKeyResponse"];
export type ApiKeyList = S["ApiKeyListResponse"];
export type CreateApiKeyRequest = S["CreateApiKeyRequest"];
/** The answer to `POST /api/v1/users/{id}/api-keys`: the only time `key` (`hpk_…`) is shown. */
export type CreatedApiKey = S["CreatedApiKeyResponse"];
/** A webhook endpoint (never its secret). */
export type Webhook = S["WebhookResponse"];
export type WebhookList = S["WebhookListResponse"];
export type CreateWebhookRequest = S["CreateWebhookRequest"];
/** The answer to `POST /api/v1/webhooks`: the only time `secret` (`whsec_…`) is shown. */
export type CreatedWebhook = S["CreatedWebhookResponse"];
/** One event for one endpoint, with every attempt. */
export type WebhookDelivery = S["DeliveryResponse"];
/** A page of deliveries, newest first; `next_cursor` leads to older ones. */
export type WebhookDeliveryPage = S["DeliveryListResponse"];
export type WebhookAttempt = S["AttemptResponse"];

// Errors
/** An RFC 9457 problem details body. */
export type Problem = S["Problem"];

// Closed sets of values
export type Role = S["Role"];
export type ConversationKind = S["ConversationKind"];
export type Priority = S["Priority"];
export type Channel = S["Channel"];
export type ChannelState = S["ChannelState"];
export type UserStatus = S["UserStatus"];
export type AuditAction = S["AuditAction"];
export type Outcome = S["Outcome"];
export type CallMedia = S["CallMedia"];
export type CallState = S["CallState"];
export type CallTopology = S["CallTopology"];
export type CallEndReason = S["CallEndReason"];
export type ParticipantState = S["ParticipantState"];
export type ApiKeyState = S["ApiKeyState"];
export type DeliveryState = S["DeliveryState"];
export type WebhookEventType = S["WebhookEventType"];
