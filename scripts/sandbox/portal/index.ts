/**
 * Sandbox Bitrix24 cloud portal + its OAuth server, in one plain `node:http` server.
 *
 * It follows /work/shared/reference/bitrix24.md (cited as §x.y) — that document, not the app, is the
 * source of truth. Where the reference is silent it does what a cloud portal does. It NEVER imports
 * anything from src/ (the app under test): the sandbox must not share the app's assumptions. Used by
 * the integration tests, `npm run demo` and the benchmarks.
 *
 * Areas (and where they live in this folder):
 *  - routes of the one server, portal and OAuth server on the same host (server.ts); reading params
 *    and answering (http.ts)
 *  - REST (§1.5): faults, bucket, token, method, `time`, the call log (rest.ts, methods.ts); batch
 *    (§6.4, batch.ts); rate limits (§7) and injected faults (limits.ts)
 *  - the OAuth server and tokens (§1.6), shared by portals started with `oauthServer` (oauth.ts)
 *  - installation, uninstall and iframe pages (§1.1–§1.4, §1.8; install.ts); app.info, app options,
 *    placements (§6.2, §6.3, §4.7; placements.ts)
 *  - the browsable portal page that frames the app (§1.2; page.ts) and its script (frame.ts)
 *  - event handlers (§2.1, events.ts) and events out to the app (§2.2, §4; delivery.ts)
 *  - imconnector: connectors and lines (§3.1–§3.6; connectors.ts), messages (§3.7–§3.11;
 *    imconnector.ts), chats and the message store (chats.ts)
 *  - imopenlines and im (§5; openlines.ts), CRM (crm.ts), users and departments (§6.1; users.ts)
 *  - files (§3.7 downloads of the connector's files, §4.1 operators' files; files.ts)
 *
 * Everything is in memory, synchronous per request (deterministic), and no timer outlives close().
 */
export { startSandboxPortal } from './sandbox.js';
export { phpHttpBuildQuery } from './util.js';
export type {
  FileDownload,
  OperatorFile,
  PortalChatMessage,
  PortalTransfer,
  SandboxPortal,
  SandboxPortalOptions,
} from './types.js';
