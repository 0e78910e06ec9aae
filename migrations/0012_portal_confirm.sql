-- The outbound read-back (docs/security.md): before an operator message goes to WhatsApp, the portal
-- must hold it. `portal_confirmed` is the digest of the content the portal confirmed
-- (outbound/confirm-rules.ts `confirmKey`); a part whose content changed since is checked again.
ALTER TABLE messages ADD COLUMN portal_confirmed text;

-- The parts still waiting for the check, found per portal by each round of read-backs.
CREATE INDEX messages_out_unconfirmed ON messages (portal_id, id)
  WHERE direction = 'out' AND status = 'queued' AND portal_confirmed IS NULL;
