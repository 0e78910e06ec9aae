import { isIP } from 'node:net';
import { z } from 'zod';
import { databaseUrl, optionalText, optionalToken, optionalUrl } from './config-fields.js';
import { specialAddressRange } from './shared/hosts.js';
import { campaignEnv } from './config-campaigns.js';

/**
 * The only reader of process.env. Every variable is described; `loadConfig` parses once and
 * reports every problem in one start-up error.
 */
const envSchema = z.object({
  ...campaignEnv,
  PORT: z.coerce.number().int().min(0).max(65535).default(3000).describe('HTTP port the app listens on'),
  HOST: z.string().default('0.0.0.0').describe('Interface to bind'),
  PUBLIC_URL: z
    .url({
      protocol: /^https?$/,
      error: 'must be an absolute http(s) URL, such as https://whatsapp.example.com',
    })
    .describe('Public base URL: how Bitrix24 and Gupshup reach this app'),
  DATABASE_URL: databaseUrl.describe('PostgreSQL URL; empty → embedded PostgreSQL in DATA_DIR'),
  DATABASE_MIGRATION_URL: databaseUrl.describe(
    "PostgreSQL URL the migrations run with (the tables' owner) when DATABASE_URL is the app's own limited role (docs/billing.md); empty → DATABASE_URL",
  ),
  DB_POOL_MAX: z.coerce
    .number()
    .int()
    .min(2)
    .max(500)
    .default(20)
    .describe('Most PostgreSQL connections this process opens'),
  DATA_DIR: z.string().default('./.data').describe('Folder for the embedded database and local files'),
  APP_SECRET: z
    .string()
    .min(32, 'must be at least 32 characters (it derives the encryption key)')
    .describe('Encrypts tokens and API keys at rest, signs URLs'),
  B24_CLIENT_ID: z.string().min(1).describe('Bitrix24 application client_id'),
  B24_CLIENT_SECRET: z.string().min(1).describe('Bitrix24 application client_secret'),
  B24_OAUTH_URL: z.url().default('https://oauth.bitrix.info').describe('Bitrix24 OAuth server'),
  B24_APP_CODE: z
    .string()
    .trim()
    .optional()
    .describe(
      'The application code app.info reports (marketplace apps: vendor.app); empty → B24_CLIENT_ID, which a local app reports',
    ),
  B24_CONNECTOR_ID: z
    .string()
    .regex(/^[a-z0-9_]+$/, 'lower-case letters, digits and _ only (no dots)')
    .default('whatsappb24_gupshup')
    .describe('imconnector ID registered in every portal'),
  B24_ALLOW_PRIVATE_HOSTS: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true')
    .describe('Turn off the SSRF guard of all outbound calls (only for local sandboxes on 127.0.0.1)'),
  GUPSHUP_API_URL: z.url().default('https://api.gupshup.io').describe('Gupshup API base URL'),
  STRIPE_SECRET_KEY: optionalText.describe('Stripe secret key (sk_…); empty → card payments off'),
  STRIPE_WEBHOOK_SECRET: optionalText.describe(
    'Signing secret of the /webhooks/stripe endpoint (whsec_…); empty → Stripe webhooks refused',
  ),
  STRIPE_API_URL: optionalUrl.describe('Stripe API base URL; empty → the real Stripe (api.stripe.com)'),
  PAYPAL_CLIENT_ID: optionalText.describe('PayPal REST app client id; empty → PayPal payments off'),
  PAYPAL_CLIENT_SECRET: optionalText.describe('PayPal REST app secret'),
  PAYPAL_API_URL: optionalUrl.describe(
    'PayPal API base URL; empty → https://api-m.paypal.com (sandbox: https://api-m.sandbox.paypal.com)',
  ),
  PAYPAL_WEBHOOK_ID: optionalText.describe(
    'Id of the /webhooks/paypal subscription (verify-webhook-signature needs it); empty → PayPal webhooks refused',
  ),
  SMSAPI_BASE_URL: z
    .url()
    .default('https://api.smsapi.pl')
    .describe('SMSAPI base URL (https://api.smsapi.com for smsapi.com accounts; the sandbox in tests)'),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info')
    .describe('Process log level (pino)'),
  WORKER_ENABLED: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true')
    .describe('Run the job worker in this process'),
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(16).describe('Jobs handled at once'),
  WORKER_POLL_MS: z.coerce.number().int().min(10).default(250).describe('Idle poll interval of the worker'),
  JOB_MAX_ATTEMPTS: z.coerce.number().int().min(1).default(12).describe('Attempts before dead letter'),
  INBOUND_BATCH_SIZE: z.coerce
    .number()
    .int()
    .min(1)
    .max(100)
    .default(50)
    .describe('Customer messages per imconnector.send.messages call (1 = one call per message)'),
  GUPSHUP_SEND_PER_SEC: z.coerce
    .number()
    .positive()
    .max(1000)
    .default(20)
    .describe('Sends per second per channel to Gupshup (its published figure: 20 msg/s)'),
  OPERATOR_TOKEN: optionalToken.describe(
    'Bearer token of the vendor operator API (confirming requested numbers); empty → off',
  ),
  METRICS_TOKEN: optionalToken.describe(
    'Bearer token for GET /metrics (Prometheus); empty → /metrics answers 404',
  ),
  BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).default(1_048_576).describe('Largest accepted body'),
  MEDIA_DIR: z
    .string()
    .trim()
    .optional()
    .describe('Folder for re-hosted media files; empty → DATA_DIR/media'),
  MEDIA_S3_BUCKET: optionalText.describe(
    'S3 bucket for re-hosted media, shared by every instance; empty → the local folder MEDIA_DIR',
  ),
  MEDIA_S3_ENDPOINT: optionalText
    .pipe(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional())
    .describe('Endpoint of an S3-compatible store (MinIO, Ceph, R2…); empty → AWS S3 in MEDIA_S3_REGION'),
  MEDIA_S3_REGION: optionalText.describe('Region of the bucket; empty → us-east-1'),
  MEDIA_S3_FORCE_PATH_STYLE: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true')
    .describe('Address the bucket as ENDPOINT/BUCKET/key (MinIO and most self-hosted stores)'),
  MEDIA_S3_ACCESS_KEY_ID: optionalText.describe(
    "Access key of the bucket; empty (with the secret) → the AWS SDK's own chain (AWS_* variables, an instance role)",
  ),
  MEDIA_S3_SECRET_ACCESS_KEY: optionalText.describe('Secret of MEDIA_S3_ACCESS_KEY_ID'),
  MEDIA_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(104_857_600)
    .describe('Largest media file downloaded or re-hosted, in bytes (WhatsApp documents: 100 MB)'),
  MEDIA_RETENTION_DAYS: z.coerce
    .number()
    .int()
    .min(1)
    .max(3650)
    .default(30)
    .describe('Days a re-hosted media file is kept before it is deleted'),
  NOTIFICATIONS_TICK_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .max(3600)
    .default(60)
    .describe('Seconds between two looks for scheduled-notification digests that are due'),
  TEMPLATE_SYNC_MINUTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(1440)
    .default(30)
    .describe(
      'Minutes between two reads of each channel’s WhatsApp templates from Gupshup (statuses, console-made templates, deletions)',
    ),
  NOTIFICATIONS_RECONCILE_MINUTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(1440)
    .default(10)
    .describe(
      'Minutes between two reconciliations of each portal’s CRM changes for the scheduled notifications (crm.deal.list / crm.lead.list since the last one), so a lost CRM event is still counted',
    ),
  BILLING_ENFORCED: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true')
    .describe(
      'Charge one message unit per outbound WhatsApp message and hold messages at zero balance; a portal never credited gets a trial of 50 units for 14 days at its first send',
    ),
  BILLING_SETTLE_AFTER_MINUTES: z.coerce
    .number()
    .int()
    .min(0)
    .max(10_080)
    .default(60)
    .describe(
      'Minutes after delivery with no Gupshup billing event before the sweep settles a message’s unit',
    ),
  BILLING_HOLD_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(720)
    .default(72)
    .describe('Hours a message is held for lack of message units before it is dead-lettered'),
});

export type Env = z.input<typeof envSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration: ${problems.join('; ')}. See .env.example for every variable.`);
    this.name = 'ConfigError';
  }
}

const trimSlash = (u: string): string => u.replace(/\/+$/, '');

/** The configuration the app runs with: made from the environment by one schema, its type inferred. */
const configSchema = envSchema.transform((e, ctx) => ({
  port: e.PORT,
  host: e.HOST,
  publicUrl: trimSlash(e.PUBLIC_URL),
  databaseUrl: e.DATABASE_URL,
  dbPoolMax: e.DB_POOL_MAX,
  /** Owner URL for the migrations; undefined → databaseUrl (ignored with the embedded PostgreSQL). */
  migrationDatabaseUrl: e.DATABASE_MIGRATION_URL,
  dataDir: e.DATA_DIR,
  appSecret: e.APP_SECRET,
  b24: {
    clientId: e.B24_CLIENT_ID,
    clientSecret: e.B24_CLIENT_SECRET,
    oauthUrl: trimSlash(e.B24_OAUTH_URL),
    connectorId: e.B24_CONNECTOR_ID,
    appCode: e.B24_APP_CODE || e.B24_CLIENT_ID,
    allowPrivateHosts: e.B24_ALLOW_PRIVATE_HOSTS,
  },
  gupshup: { apiUrl: trimSlash(e.GUPSHUP_API_URL) },
  smsapi: { baseUrl: trimSlash(e.SMSAPI_BASE_URL) },
  logLevel: e.LOG_LEVEL,
  worker: {
    enabled: e.WORKER_ENABLED,
    concurrency: e.WORKER_CONCURRENCY,
    pollMs: e.WORKER_POLL_MS,
    maxAttempts: e.JOB_MAX_ATTEMPTS,
    /**
     * How long a claimed job stays locked before another worker may take it over. Renewed every
     * third of itself while a job runs (worker heartbeat), so it can stay short: it is how long the
     * jobs of a killed process wait before another worker takes them.
     */
    leaseMs: 15_000,
    /** Base delay of the exponential retry backoff. */
    backoffBaseMs: 1_000,
    backoffMaxMs: 10 * 60_000,
    /** How long an outbound send whose outcome is unknown waits for Gupshup's events before it is resent. */
    inFlightGraceMs: 120_000,
  },
  relay: {
    /** Most customer messages handed to Bitrix24 in one call. */
    batchSize: e.INBOUND_BATCH_SIZE,
    /** Pace of sends to Gupshup, per channel (bucket of one second's worth). */
    gupshupPerSec: e.GUPSHUP_SEND_PER_SEC,
  },
  bodyLimit: e.BODY_LIMIT_BYTES,
  /** Campaign lists (campaigns/csv-list.ts, docs/campaigns.md "Lists"). */
  campaignLists: { maxRows: e.CAMPAIGN_LIST_MAX_ROWS, maxBytes: e.CAMPAIGN_LIST_MAX_BYTES },
  /** Payment providers (modules/billing/payments-wiring.ts); a provider without its keys is off. */
  payments: {
    stripe: e.STRIPE_SECRET_KEY
      ? { secretKey: e.STRIPE_SECRET_KEY, webhookSecret: e.STRIPE_WEBHOOK_SECRET, apiUrl: e.STRIPE_API_URL }
      : undefined,
    paypal:
      e.PAYPAL_CLIENT_ID && e.PAYPAL_CLIENT_SECRET
        ? {
            clientId: e.PAYPAL_CLIENT_ID,
            clientSecret: e.PAYPAL_CLIENT_SECRET,
            apiUrl: trimSlash(e.PAYPAL_API_URL ?? 'https://api-m.paypal.com'),
            webhookId: e.PAYPAL_WEBHOOK_ID,
          }
        : undefined,
  },
  operatorToken: e.OPERATOR_TOKEN,
  /** Bearer token of GET /metrics; undefined → the route answers 404. */
  metricsToken: e.METRICS_TOKEN,
  /** How often each channel's templates are read from Gupshup (template-sync.ts). */
  templates: { syncEveryMs: e.TEMPLATE_SYNC_MINUTES * 60_000 },
  /**
   * Scheduled notifications: how often the digests due are looked for (notifications/digest-jobs.ts),
   * how often each portal's CRM changes are reconciled (notifications/reconcile.ts).
   */
  notifications: {
    tickEveryMs: e.NOTIFICATIONS_TICK_SECONDS * 1000,
    reconcileEveryMs: e.NOTIFICATIONS_RECONCILE_MINUTES * 60_000,
  },
  /** Campaigns' sending (docs/campaigns.md, "Sending"): the messaging tier when Gupshup does not say. */
  campaigns: { defaultTier: e.CAMPAIGN_DEFAULT_TIER },
  /** Charging the send path (docs/billing.md, "The send path"). */
  billing: {
    enforced: e.BILLING_ENFORCED,
    settleAfterMs: e.BILLING_SETTLE_AFTER_MINUTES * 60_000,
    holdMs: e.BILLING_HOLD_HOURS * 3_600_000,
    /** What a portal never credited gets at its first send. */
    trial: { units: 50, validityDays: 14 },
  },
  media: {
    dir: e.MEDIA_DIR || `${e.DATA_DIR.replace(/\/+$/, '')}/media`,
    maxBytes: e.MEDIA_MAX_BYTES,
    /** Time-out of one media download (headers and body). */
    fetchTimeoutMs: 60_000,
    /** How long a signed /media link stays valid. */
    linkTtlSec: 24 * 60 * 60,
    retentionDays: e.MEDIA_RETENTION_DAYS,
    s3: s3Config(e, ctx),
  },
}));

/** The bucket when MEDIA_S3_BUCKET is set (s3-storage.ts); undefined → the local folder. */
function s3Config(e: z.output<typeof envSchema>, ctx: z.RefinementCtx) {
  const { MEDIA_S3_ACCESS_KEY_ID: accessKeyId, MEDIA_S3_SECRET_ACCESS_KEY: secretAccessKey } = e;
  if (!accessKeyId !== !secretAccessKey) {
    ctx.addIssue({
      code: 'custom',
      path: [accessKeyId ? 'MEDIA_S3_SECRET_ACCESS_KEY' : 'MEDIA_S3_ACCESS_KEY_ID'],
      message: 'set both MEDIA_S3_ACCESS_KEY_ID and MEDIA_S3_SECRET_ACCESS_KEY, or neither',
    });
  }
  if (!e.MEDIA_S3_BUCKET) return undefined;
  return {
    bucket: e.MEDIA_S3_BUCKET,
    region: e.MEDIA_S3_REGION ?? 'us-east-1',
    endpoint: e.MEDIA_S3_ENDPOINT,
    forcePathStyle: e.MEDIA_S3_FORCE_PATH_STYLE,
    credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined,
  };
}

type DeepReadonly<T> = { readonly [K in keyof T]: T[K] extends object ? DeepReadonly<T[K]> : T[K] };
export type Config = DeepReadonly<z.output<typeof configSchema>>;

function deepFreeze<T extends object>(o: T): T {
  for (const v of Object.values(o)) if (v && typeof v === 'object') deepFreeze(v as object);
  return Object.freeze(o);
}

export function loadConfig(
  env: Record<string, string | undefined>,
  overrides: Partial<Config['worker']> = {},
): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => {
        const name = i.path.join('.') || '(env)';
        // A value the schema wanted and did not get; a rule across variables keeps its own words.
        const missing = i.code !== 'custom' && (env[name] ?? '').trim() === '';
        return `${name}: ${missing ? 'is required' : i.message}`;
      }),
    );
  }
  const c = parsed.data;
  return deepFreeze({ ...c, worker: { ...c.worker, ...overrides } });
}

/**
 * What is allowed but probably wrong, for the log at start-up: Bitrix24 and Gupshup only call
 * https addresses, so a plain-http PUBLIC_URL only works on this machine.
 */
export function configWarnings(config: Config): string[] {
  const url = new URL(config.publicUrl);
  if (url.protocol === 'https:' || isLoopback(url.hostname)) return [];
  return [
    `PUBLIC_URL (${config.publicUrl}) is not https: Bitrix24 and Gupshup need an https address to reach the app.`,
  ];
}

function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  return isIP(host) !== 0 && /^(ipv4Mapped → )?loopback$/.test(specialAddressRange(host) ?? '');
}

/**
 * The variables as the schema has them, for `.env.example` and the README's table (a unit test keeps
 * both in step): the description, whether start-up needs it, and the default when there is one.
 */
export function describeEnv(): Array<{
  name: string;
  description: string;
  required: boolean;
  default?: string;
}> {
  return Object.entries(envSchema.shape).map(([name, schema]) => {
    const unset = schema.safeParse(undefined);
    const fallback = unset.success && unset.data !== undefined ? String(unset.data) : undefined;
    return {
      name,
      description: schema.description ?? '',
      required: !unset.success,
      ...(fallback !== undefined ? { default: fallback } : {}),
    };
  });
}
