-- WhatsApp templates (issue 11, C6). A template belongs to a channel (its Gupshup app / WABA) and is
-- unique per channel, element name and language while not deleted. `status` is ours, lowercase:
-- 'draft' until the submit job has reached Gupshup ('submitting' while it runs), then Gupshup's
-- statuses (reference gupshup.md §4.4). `source` says whether it was made here or found in the
-- Gupshup console by the periodic sync. `params` holds the human name and example of each {{n}}:
-- [{"name": "...", "example": "..."}], in order. Forward-only.
CREATE TABLE templates (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  portal_id       bigint NOT NULL REFERENCES portals (id) ON DELETE CASCADE,
  channel_id      uuid NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
  element_name    text NOT NULL,
  display_name    text NOT NULL,
  language        text NOT NULL,
  category        text NOT NULL CHECK (category IN ('MARKETING', 'UTILITY', 'AUTHENTICATION')),
  template_type   text NOT NULL CHECK (template_type IN ('TEXT', 'IMAGE', 'DOCUMENT', 'VIDEO')),
  header          text,
  body            text NOT NULL,
  footer          text,
  buttons         jsonb NOT NULL DEFAULT '[]',
  params          jsonb NOT NULL DEFAULT '[]',
  sample_media_id uuid REFERENCES media (id) ON DELETE SET NULL,
  status          text NOT NULL DEFAULT 'draft'
                  CHECK (status IN ('draft', 'submitting', 'pending', 'approved', 'rejected', 'paused',
                                    'disabled', 'failed', 'in_appeal', 'deleted')),
  status_reason   text,
  gupshup_id      text,
  source          text NOT NULL DEFAULT 'app' CHECK (source IN ('app', 'console')),
  active          boolean NOT NULL DEFAULT true,
  created_by      integer,
  status_at       timestamptz,
  synced_at       timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  deleted_at      timestamptz
);
CREATE UNIQUE INDEX templates_name_once ON templates (channel_id, element_name, language)
  WHERE status <> 'deleted';
CREATE UNIQUE INDEX templates_gupshup_once ON templates (channel_id, gupshup_id)
  WHERE gupshup_id IS NOT NULL AND status <> 'deleted';
CREATE INDEX templates_portal ON templates (portal_id, channel_id);

-- Which open lines (queues) may offer a template to their agents; none means never offered.
CREATE TABLE template_lines (
  template_id uuid NOT NULL REFERENCES templates (id) ON DELETE CASCADE,
  line_id     integer NOT NULL,
  PRIMARY KEY (template_id, line_id)
);

-- An outbound template message is a message like any other (statuses, trace, billing) with the
-- template it used. `client_key` makes an API or robot send idempotent per portal; `sent_by` is the
-- Bitrix24 user who sent it from a chat or a CRM card (null for the API and automation).
ALTER TABLE messages
  ADD COLUMN template_id uuid REFERENCES templates (id) ON DELETE SET NULL,
  ADD COLUMN client_key  text,
  ADD COLUMN sent_by     integer;
CREATE UNIQUE INDEX messages_client_key_once ON messages (portal_id, client_key) WHERE client_key IS NOT NULL;
