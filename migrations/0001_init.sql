-- Portals, their channels, the relay's messages, the trace the client asked for, and the job queue.
-- Forward-only: a later change is a new numbered file.

CREATE TABLE portals (
  id                    bigserial PRIMARY KEY,
  member_id             text NOT NULL UNIQUE,
  domain                text NOT NULL,
  client_endpoint       text NOT NULL,
  server_endpoint       text,
  lang                  text NOT NULL DEFAULT 'es',
  access_token_enc      text,
  refresh_token_enc     text,
  token_expires_at      timestamptz,
  application_token_mac text,
  installed_by_user_id  integer,
  status                text NOT NULL DEFAULT 'installing'
                        CHECK (status IN ('installing', 'installed', 'uninstalled')),
  setup_error           text,
  rate_drain_per_sec    double precision NOT NULL DEFAULT 2,
  rate_burst            integer NOT NULL DEFAULT 50,
  installed_at          timestamptz,
  uninstalled_at        timestamptz,
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_tokens (
  id                 bigserial PRIMARY KEY,
  portal_id          bigint NOT NULL REFERENCES portals (id) ON DELETE CASCADE,
  token_mac          text NOT NULL UNIQUE,
  prefix             text NOT NULL,
  label              text,
  created_by_user_id integer,
  created_at         timestamptz NOT NULL DEFAULT now(),
  last_used_at       timestamptz,
  revoked_at         timestamptz
);
CREATE INDEX api_tokens_portal ON api_tokens (portal_id);

CREATE TABLE channels (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  portal_id        bigint NOT NULL REFERENCES portals (id) ON DELETE CASCADE,
  name             text NOT NULL,
  gupshup_app_name text NOT NULL,
  gupshup_app_id   text,
  source_number    text NOT NULL,
  api_key_enc      text,
  callback_nonce   text NOT NULL,
  line_id          integer,
  status           text NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'active', 'interrupted', 'inactive', 'deleted')),
  status_reason    text,
  last_webhook_at  timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  deleted_at       timestamptz
);
CREATE INDEX channels_portal ON channels (portal_id);
CREATE UNIQUE INDEX channels_one_per_line ON channels (portal_id, line_id)
  WHERE line_id IS NOT NULL AND status <> 'deleted';
CREATE UNIQUE INDEX channels_one_per_number ON channels (portal_id, source_number)
  WHERE status <> 'deleted';

-- One conversation per customer number per channel: gives Bitrix24 a stable chat.id / user.id.
CREATE TABLE conversations (
  id              bigserial PRIMARY KEY,
  portal_id       bigint NOT NULL REFERENCES portals (id) ON DELETE CASCADE,
  channel_id      uuid NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
  customer_phone  text NOT NULL,
  customer_name   text,
  bitrix_chat_id  bigint,
  last_inbound_at timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (channel_id, customer_phone)
);

CREATE TABLE messages (
  id                 bigserial PRIMARY KEY,
  portal_id          bigint NOT NULL REFERENCES portals (id) ON DELETE CASCADE,
  channel_id         uuid NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
  conversation_id    bigint NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  direction          text NOT NULL CHECK (direction IN ('in', 'out')),
  type               text NOT NULL,
  status             text NOT NULL,
  content            jsonb NOT NULL,
  wa_message_id      text,
  gupshup_message_id text,
  bitrix_message_id  bigint,
  bitrix_chat_id     bigint,
  attempt_started_at timestamptz,
  error_code         text,
  error_detail       text,
  customer_ts        timestamptz,
  sent_at            timestamptz,
  delivered_at       timestamptz,
  read_at            timestamptz,
  failed_at          timestamptz,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now()
);
-- Gupshup retries a webhook until it gets a 2xx: the WhatsApp id makes an inbound message unique.
CREATE UNIQUE INDEX messages_inbound_once ON messages (channel_id, wa_message_id) WHERE direction = 'in';
-- Bitrix24 events carry the operator message id: one outbound message per Bitrix24 message.
CREATE UNIQUE INDEX messages_outbound_once ON messages (portal_id, bitrix_message_id) WHERE direction = 'out';
CREATE INDEX messages_gupshup_id ON messages (channel_id, gupshup_message_id) WHERE gupshup_message_id IS NOT NULL;
CREATE INDEX messages_wa_id_out ON messages (channel_id, wa_message_id) WHERE direction = 'out' AND wa_message_id IS NOT NULL;
CREATE INDEX messages_portal_recent ON messages (portal_id, id DESC);

-- The relay trace: every step of every message, INFO/WARN/ERROR, per portal. Never message text.
CREATE TABLE trace (
  id         bigserial PRIMARY KEY,
  portal_id  bigint NOT NULL REFERENCES portals (id) ON DELETE CASCADE,
  channel_id uuid,
  message_id bigint,
  direction  text,
  step       text NOT NULL,
  level      text NOT NULL CHECK (level IN ('INFO', 'WARN', 'ERROR')),
  code       text,
  detail     text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX trace_message ON trace (message_id, id) WHERE message_id IS NOT NULL;
CREATE INDEX trace_portal_recent ON trace (portal_id, id DESC);

-- Durable work queue (outbox). Claimed with FOR UPDATE SKIP LOCKED; jobs sharing a chat_key run in id order.
CREATE TABLE jobs (
  id           bigserial PRIMARY KEY,
  portal_id    bigint REFERENCES portals (id) ON DELETE CASCADE,
  topic        text NOT NULL,
  payload      jsonb NOT NULL DEFAULT '{}'::jsonb,
  dedupe_key   text UNIQUE,
  chat_key     text,
  status       text NOT NULL DEFAULT 'pending'
               CHECK (status IN ('pending', 'running', 'done', 'dead', 'cancelled')),
  attempts     integer NOT NULL DEFAULT 0,
  run_at       timestamptz NOT NULL DEFAULT now(),
  locked_until timestamptz,
  locked_by    text,
  last_error   text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  finished_at  timestamptz
);
CREATE INDEX jobs_ready ON jobs (run_at, id) WHERE status IN ('pending', 'running');
CREATE INDEX jobs_chat_open ON jobs (chat_key, id) WHERE status IN ('pending', 'running') AND chat_key IS NOT NULL;
CREATE INDEX jobs_portal ON jobs (portal_id, status);
