/**
 * Sandbox Gupshup — a local stand-in for Gupshup's WhatsApp self-serve API (v2 "Gupshup format").
 *
 * It follows /work/shared/reference/gupshup.md (§ numbers below point into it) and never imports from
 * src/: the app under test must meet the reference, not its own assumptions.
 *
 * Surfaces (and where they live in this folder):
 *  - POST /wa/api/v1/msg           session messages (§1), form-urlencoded + `apikey` header (send.ts,
 *                                  validate.ts)
 *  - POST /wa/api/v1/template/msg  template messages (§2.1) of the app's stored templates: unknown,
 *                                  unapproved, paused, disabled or wrongly filled ones fail with the
 *                                  §8 codes (send.ts, validate.ts, template-send.ts)
 *  - GET  /fm/<token>              "FileManager" media for inbound customer media (§3.3; links expire)
 *                                  (media.ts)
 *  - /wa/app/{appId}/template      self-serve template management with `apikey` (§4.1): GET list
 *                                  (?templateStatus=), GET /{templateId}, POST create (§4.3, §4.4
 *                                  rules), DELETE /{elementName}; created templates are reviewed after
 *                                  a delay and every status change is posted as a `template-event`
 *                                  (§3.7) (template-api.ts, template-rules.ts, templates.ts)
 *  - GET  /sm/api/v2/wallet/balance legacy wallet balance with `apikey` (§5.2) (apps.ts)
 *  - outbound media: a session message with a media URL (§1.1: "Gupshup fetches it") is fetched after
 *    the send is accepted; a link that does not answer 200, or a file over WhatsApp's size limit for
 *    its type (§4.4), fails the message (1010/1011, §8) instead of delivering it (send.ts, media.ts).
 *  - outgoing v2 callbacks (§3.2–§3.6): message-events, billing-events, inbound messages, user-events,
 *    with delays, retries on non-2xx (§3.1), optional duplicates and reordering (callbacks.ts,
 *    events.ts, inbound.ts).
 *  - injected faults: HTTP answers of the send API and failed deliveries (faults.ts).
 *
 * Choices where the reference is silent are marked "sandbox choice".
 */
export { startSandboxGupshup } from './sandbox.js';
export type {
  CallbackRecord,
  CustomerMessage,
  ConsoleTemplateFields,
  DeliveryFailureSpec,
  RenderedTemplate,
  SandboxApp,
  SandboxGupshup,
  SandboxGupshupOptions,
  SandboxTemplate,
  SentMessage,
  StatusType,
  TemplateFields,
  TemplateReview,
  TemplateStatus,
} from './types.js';
