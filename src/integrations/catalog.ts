/**
 * Every call the app makes to a provider, with why, the permission (scope) it needs and what it costs
 * in the provider's limits. The Bitrix24 client only accepts methods named here (`Bitrix24Method`),
 * the Gupshup adapters only build URLs from the paths here, and docs/integrations.md is generated
 * from this file (`npm run docs:integrations`); a test fails when the two drift apart.
 */
export interface CallInfo {
  /** The Bitrix24 scope, or the Gupshup credential, the call needs. */
  readonly scope: string;
  /** Who calls it, and why. */
  readonly why: string;
  /** What it costs in the provider's budget (Bitrix24: the portal's REST bucket, reference §7). */
  readonly cost: string;
}

export const BITRIX24_METHODS = {
  profile: {
    scope: 'basic (any app)',
    why: 'install proof (is the installing user an admin?) and the pages’ frontend auth (who is looking, admin or not)',
    cost: 'the viewer’s own token, not the stored one; one per install and at most one per viewer per minute (cached)',
  },
  'app.info': {
    scope: 'basic (any app)',
    why: 'ONAPPUNINSTALL: a genuine uninstall has revoked our token, so a portal that still answers it did not send the event; the pages’ frontend auth: was this token issued to our app?',
    cost: 'one per uninstall event; the viewer’s own token, at most one per viewer per minute (cached)',
  },
  'imconnector.register': {
    scope: 'imconnector',
    why: 'install: registers the WhatsApp connector (tile in the Contact Center, settings placement handler)',
    cost: 'once per install',
  },
  'event.bind': {
    scope: 'basic (any app)',
    why: 'install: binds the operator message, edit, delete, line and connector removal and uninstall events, and for scheduled notifications the deal added/updated and lead added events (crm scope), to /b24/events; portals installed before a binding was added get it from the notifications’ re-bind job',
    cost: 'nine calls per install; nine once more per portal when the list of bound events grows',
  },
  'imconnector.activate': {
    scope: 'imconnector',
    why: 'a channel is activated on, or removed from, an open line',
    cost: 'one per (de)activation',
  },
  'imconnector.connector.data.set': {
    scope: 'imconnector',
    why: 'shows the channel’s name and number in the open line’s connector card',
    cost: 'one per activation',
  },
  'imconnector.status': {
    scope: 'imconnector',
    why: 'the connector tile and the health strip: is the connector active and error-free on a line?',
    cost: 'one per tile open; the health strip caches it one minute',
  },
  'imconnector.send.messages': {
    scope: 'imconnector',
    why: 'customer messages into the open line (inbound relay), up to INBOUND_BATCH_SIZE per call',
    cost: 'one per batch of up to 50 messages, one message per chat per batch (ordering)',
  },
  'imconnector.update.messages': {
    scope: 'imconnector',
    why: 'reconciles a delivery whose outcome was unknown after a crash (same ids, no duplicate) and late media',
    cost: 'rare: only after a crash or a time-out between the call and its record',
  },
  'imconnector.send.status.delivery': {
    scope: 'imconnector',
    why: 'tells the open line an operator message reached WhatsApp (ticks in the chat)',
    cost: 'one per batch of acknowledgements, from the background half of the budget (under load they wait for the read-backs and grow bigger)',
  },
  'im.message.add': {
    scope: 'im',
    why: 'a note in the open-line chat for the agent: not sent (24-hour window, with the line’s templates offered; not on WhatsApp, file too large), edit not possible; the record of a sent template (system line naming who sent it) when it cannot go as the agent’s own message',
    cost: 'one per failure note, one per template record',
  },
  'imopenlines.crm.message.add': {
    scope: 'imopenlines',
    why: 'the record of a template an agent sent, as that agent’s message in the open-line chat (chats bound to a CRM record; else im.message.add)',
    cost: 'at most one per template sent by an agent',
  },
  'placement.bind': {
    scope: 'placement (+ im for the chat, crm for the cards)',
    why: 'install: the template picker in open-line chats (IM_TEXTAREA, IM_SIDEBAR) and the WhatsApp tab on contact, lead and deal cards',
    cost: 'five calls per install',
  },
  'bizproc.robot.add': {
    scope: 'bizproc',
    why: 'install: the automation rule “Send WhatsApp template” for deal and lead pipelines',
    cost: 'one per install',
  },
  'bizproc.robot.update': {
    scope: 'bizproc',
    why: 'install again: the automation rule already exists, its handler and fields are renewed',
    cost: 'one per re-install',
  },
  'bizproc.event.send': {
    scope: 'bizproc',
    why: 'answers a workflow waiting on “Send WhatsApp template”: sent, or failed with the reason',
    cost: 'one per robot run',
  },
  'crm.deal.contact.items.get': {
    scope: 'crm',
    why: 'the WhatsApp tab of a deal card: the deal’s contacts, whose phones the template can go to',
    cost: 'one per deal tab open and per template sent from a deal (phone check before sending)',
  },
  'im.notify.system.add': {
    scope: 'im',
    why: 'billing: the admins are told when the portal’s message balance falls below the threshold its billing admin set',
    cost: 'one per admin per crossing of the threshold (background half of the budget)',
  },
  'im.dialog.messages.get': {
    scope: 'im',
    why: 'before an operator message goes to WhatsApp: read it back from its open-line chat (same id, author, chat, text and files), since the event that brought it is authenticated only by the application token every page user receives',
    cost: 'never called alone: one command per chat inside `batch`',
  },
  batch: {
    scope: 'basic (any app)',
    why: 'the read-back of operator messages: one im.dialog.messages.get per chat, up to 50 chats per call; built once the call has its rate slot, so messages stored meanwhile join it',
    cost: 'one per round of read-backs (up to 50 chats, all their pending messages); under load each call covers more messages, not more calls',
  },
  'imopenlines.config.list.get': {
    scope: 'imopenlines',
    why: 'the portal’s open lines: pickers in the pages, and checking a line id exists before activation',
    cost: 'one per page list (cached one minute) and per activation',
  },
  'imopenlines.crm.chat.get': {
    scope: 'imopenlines',
    why: 'chat assignment: is the open-line chat bound to the customer’s record? (no REST method binds one; the trace names the record to link by hand)',
    cost: 'at most once per new conversation with a CRM record, background half of the budget',
  },
  'imopenlines.operator.transfer': {
    scope: 'imopenlines',
    why: 'chat assignment: hands a new conversation to its CRM responsible or the next sales representative',
    cost: 'once per conversation, in the lower half of the budget (assignments give way to messages)',
  },
  'user.get': {
    scope: 'user_brief',
    why: 'roles tab: the portal’s users, 50 a page, with search and department filter; the name of the agent who sent a template, for its record in the chat',
    cost: 'one per page of users shown; one per template record sent by an agent (background)',
  },
  'department.get': {
    scope: 'user_brief (department)',
    why: 'roles tab: the department filter',
    cost: 'one per roles tab open',
  },
  'crm.category.list': {
    scope: 'crm',
    why: 'channel CRM settings: the deal pipelines to choose from',
    cost: 'one per settings dialog',
  },
  'crm.status.list': {
    scope: 'crm',
    why: 'channel CRM settings: the stages of the chosen pipeline (or lead statuses)',
    cost: 'one per settings dialog',
  },
  'crm.company.list': {
    scope: 'crm',
    why: 'notifications tab: the CRM companies a group hears about, searched by part of their title',
    cost: 'one per search typed in a group’s companies (50 a page, the first page only)',
  },
  'crm.duplicate.findbycomm': {
    scope: 'crm',
    why: 'chat assignment: is this phone number a known customer, and whose? SMS consent: the contact of a number sent to without a CRM binding',
    cost: 'once per new conversation, background half of the budget',
  },
  'crm.contact.get': {
    scope: 'crm',
    why: 'chat assignment: the responsible of the contact found by phone; templates from a CRM card: the card’s (or the deal’s contacts’) phones, and the check that the chosen number is one of them',
    cost: 'at most once per new conversation, background half of the budget; per card tab open (the viewer’s own token) and per template sent from a card',
  },
  'crm.lead.get': {
    scope: 'crm',
    why: 'chat assignment: the responsible of the lead found by phone; templates from a lead card: its phones; scheduled notifications: a lead named by ONCRMLEADADD, read back (source, company, title)',
    cost: 'at most once per new conversation, background half of the budget; per lead tab open and per template sent from it; one per lead added while the portal has an active new-lead report',
  },
  'crm.deal.get': {
    scope: 'crm',
    why: 'scheduled notifications: a deal named by ONCRMDEALADD / ONCRMDEALUPDATE (which carry only its id), read back to compare its stage and watched fields with the last state seen',
    cost: 'one per deal event while the portal has an active deal report, background half of the budget',
  },
  'crm.deal.list': {
    scope: 'crm',
    why: 'scheduled notifications: the periodic reconciliation reads the deals modified since its cursor (`>=DATE_MODIFY`, oldest first), so a change whose event was lost is still counted once; campaign lists from the CRM: deals by pipeline, stage, source and responsible (their contacts’ phones)',
    cost: 'one per 50 modified deals per portal with active deal reports, every NOTIFICATIONS_RECONCILE_MINUTES (at most 20 pages a run), background half of the budget',
  },
  'crm.lead.list': {
    scope: 'crm',
    why: 'scheduled notifications: the periodic reconciliation reads the leads modified since its cursor, so a new lead whose event was lost is still counted once; campaign lists from the CRM: leads by status, source and responsible with their phones',
    cost: 'one per 50 modified leads per portal with active new-lead reports, every NOTIFICATIONS_RECONCILE_MINUTES (at most 20 pages a run), background half of the budget',
  },
  'crm.contact.list': {
    scope: 'crm',
    why: 'campaign lists from the CRM: contacts by source and responsible with their phones (`select` PHONE); a deal list’s contacts by id',
    cost: 'one per 50 contacts of a campaign list (and one per page of deals), background half of the budget',
  },
  'crm.contact.add': {
    scope: 'crm',
    why: 'chat assignment: a new customer’s contact with the phone and name, so the next lookup by phone finds him',
    cost: 'at most once per new customer (marked before the call; a retry looks the contact up by phone instead)',
  },
  'crm.lead.add': {
    scope: 'crm',
    why: 'chat assignment: a new customer becomes a lead (channel setting), linked to his contact (CONTACT_ID)',
    cost: 'at most once per new customer (marked before the call; a retry looks the customer up instead)',
  },
  'crm.deal.add': {
    scope: 'crm',
    why: 'chat assignment: a new customer becomes a deal in the chosen pipeline and stage (channel setting), linked to his contact (CONTACT_IDS)',
    cost: 'at most once per new customer (as for leads)',
  },
  'messageservice.sender.add': {
    scope: 'messageservice',
    why: 'install and the SMS page’s “register”: the app becomes the portal’s SMS provider (CRM card SMS, automation rules) with /b24/sms as its handler; ERROR_SENDER_ALREADY_INSTALLED counts as done',
    cost: 'once per install and per click',
  },
  'messageservice.message.status.update': {
    scope: 'messageservice',
    why: 'SMS: an SMS Bitrix24 asked us to send is reported sent (SMSAPI accepted it), delivered, undelivered or failed (refused: no consent, bad number, too long)',
    cost: 'one to two per SMS from Bitrix24, background half of the budget',
  },
  'crm.contact.fields': {
    scope: 'crm',
    why: 'SMS settings: the contact fields an admin may choose as the SMS consent (checkboxes and lists, custom UF_CRM_… fields first)',
    cost: 'one per opening of the SMS settings (the admin’s own token budget)',
  },
} as const satisfies Record<string, CallInfo>;

export type Bitrix24Method = keyof typeof BITRIX24_METHODS;

/** Calls that are not REST methods: the OAuth server and the portal's file links. */
export const BITRIX24_OTHER_CALLS = {
  'POST {B24_OAUTH_URL}/oauth/token/ (refresh_token grant)': {
    scope: 'our client_id and client_secret',
    why: 'install proof (the OAuth server names the real portal and user) and renewing the stored tokens on expired_token',
    cost: 'not in the portal’s REST budget; one per install and about one per hour of activity',
  },
  'GET {portal file link}[?auth=…]': {
    scope: 'disk (the operator’s own file)',
    why: 'operator files: downloaded once to re-host them for Gupshup (the token only on the portal’s own host)',
    cost: 'not in the REST budget; one download per file',
  },
} as const satisfies Record<string, CallInfo>;

export const GUPSHUP_CALLS = {
  'POST /wa/api/v1/msg': {
    scope: 'the channel’s API key (apikey header)',
    why: 'every operator message and file to the customer (outbound relay)',
    cost: 'paced per channel (GUPSHUP_SEND_PER_SEC, 20/s); Gupshup’s 429 and 5xx are retried from the queue',
  },
  'POST /wa/api/v1/template/msg': {
    scope: 'the channel’s API key (apikey header)',
    why: 'approved templates to a customer (from a chat, a CRM card, an automation rule or the API), also outside the 24-hour window',
    cost: 'paced with the session messages of the channel (GUPSHUP_SEND_PER_SEC); retried and reconciled like them',
  },
  'GET /wa/app/{appId}/template': {
    scope: 'the channel’s API key',
    why: 'connecting an app: proves the API key belongs to that App ID before the channel is saved; templates.sync: statuses, console-made templates, deleted ones; templates.submit/delete after an unknown outcome: was it created?',
    cost: 'one per connect or key change; one per channel every TEMPLATE_SYNC_MINUTES (30) and per sync asked for',
  },
  'POST /wa/app/{appId}/template': {
    scope: 'the channel’s API key',
    why: 'templates.submit: a template made in the app goes to WhatsApp’s review (form fields of reference §4.3, sample file as a signed /media link)',
    cost: 'one per template; no idempotency key, so a retry after an unknown outcome looks the template up in the list first',
  },
  'GET /wa/app/{appId}/template/{templateId}': {
    scope: 'the channel’s API key',
    why: 'one template’s status and rejection reason by Gupshup’s id',
    cost: 'rare: the list answers the periodic sync',
  },
  'DELETE /wa/app/{appId}/template/{elementName}': {
    scope: 'the channel’s API key',
    why: 'templates.delete: an admin deletes a template (every language of its element name, irreversible)',
    cost: 'one per deletion',
  },
  'GET /sm/api/v2/wallet/balance': {
    scope: 'the channel’s API key',
    why: 'settings tab and health strip: the wallet balance where Gupshup gives it to an API key',
    cost: 'one per settings view (cached one minute)',
  },
  'GET {Gupshup media link}': {
    scope: 'none (a link Gupshup signed)',
    why: 'customer media: downloaded once (size cap, time-out, SSRF guard) and re-hosted for Bitrix24',
    cost: 'one download per file',
  },
} as const satisfies Record<string, CallInfo>;

/** Stripe (the official SDK) and PayPal (Orders v2 over HttpClient): payments (docs/billing.md). */
export const PAYMENT_CALLS = {
  'Stripe POST /v1/checkout/sessions': {
    scope: 'STRIPE_SECRET_KEY',
    why: 'checkout of a pack (mode payment) or a channel subscription (mode subscription); Idempotency-Key checkout:<order>',
    cost: 'one per order (a repeated checkout replays the same key)',
  },
  'Stripe POST /v1/billing_portal/sessions': {
    scope: 'STRIPE_SECRET_KEY',
    why: 'the customer portal link for a subscription (cards, cancellation)',
    cost: 'one per click',
  },
  'PayPal POST /v1/oauth2/token': {
    scope: 'PAYPAL_CLIENT_ID and PAYPAL_CLIENT_SECRET (Basic)',
    why: 'the bearer token of the calls below',
    cost: 'cached until 5 minutes before it expires (about 9 h)',
  },
  'PayPal POST /v2/checkout/orders': {
    scope: 'bearer token',
    why: 'checkout of a pack; PayPal-Request-Id pp-create:<order>',
    cost: 'one per order',
  },
  'PayPal POST /v2/checkout/orders/{id}/capture': {
    scope: 'bearer token',
    why: 'payments.capture after the payer approved (return page or CHECKOUT.ORDER.APPROVED); PayPal-Request-Id pp-capture:<PayPal order>',
    cost: 'one per approval cause; ORDER_ALREADY_CAPTURED is read back with GET /v2/checkout/orders/{id}',
  },
  'PayPal POST /v1/notifications/verify-webhook-signature': {
    scope: 'bearer token, PAYPAL_WEBHOOK_ID',
    why: 'payments.webhook: every stored PayPal delivery is verified before it is applied',
    cost: 'one per delivery',
  },
} as const satisfies Record<string, CallInfo>;

/** SMSAPI (reference payments-and-sms.md §4) over HttpClient: the SMS capability (docs/sms.md). */
export const SMSAPI_CALLS = {
  'POST /sms.do': {
    scope: 'the portal’s SMSAPI OAuth token (Bearer)',
    why: 'every SMS (CRM card, automation rule, API, WhatsApp fallback) with idx = our message id and check_idx=1; test=1 to price or to check the settings',
    cost: 'points per part from the SMSAPI account; a retry after an unknown outcome is answered 53 (already sent), never a second SMS',
  },
  'GET /profile': {
    scope: 'the portal’s SMSAPI OAuth token',
    why: 'the SMS tab: the points balance, and the token check when it is saved; the balance before a large send',
    cost: 'one per tab view or token change',
  },
  'GET /sms/sendernames': {
    scope: 'the portal’s SMSAPI OAuth token',
    why: 'the sender name is checked as active when the settings are saved',
    cost: 'one per settings change',
  },
} as const satisfies Record<string, CallInfo>;
