-- Media re-hosted behind signed links (inbound customer media, outbound operator files), and operator
-- messages split into several WhatsApp messages (a text plus files): one row per WhatsApp message.
-- Forward-only.

-- One stored file. The bytes live in the media storage (a local folder by default) under `id`;
-- this row says what they are. `id` is derived from the message and the file's position, so a job
-- that runs twice stores the same file under the same key.
CREATE TABLE media (
  id         uuid PRIMARY KEY,
  portal_id  bigint NOT NULL REFERENCES portals (id) ON DELETE CASCADE,
  message_id bigint REFERENCES messages (id) ON DELETE SET NULL,
  direction  text NOT NULL CHECK (direction IN ('in', 'out')),
  name       text NOT NULL,
  mime       text NOT NULL,
  size       bigint NOT NULL CHECK (size >= 0),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX media_message ON media (message_id) WHERE message_id IS NOT NULL;
CREATE INDEX media_portal ON media (portal_id, created_at);

-- An operator message with a text and files becomes several WhatsApp messages ("parts"); each is
-- sent exactly once, so the outbound uniqueness is per part.
ALTER TABLE messages ADD COLUMN part integer NOT NULL DEFAULT 0 CHECK (part >= 0);
DROP INDEX messages_outbound_once;
CREATE UNIQUE INDEX messages_outbound_once ON messages (portal_id, bitrix_message_id, part) WHERE direction = 'out';
