-- Who gets a customer's chat (issue 4, chat roles enforced by the server). Forward-only.
-- Filled by the chat.assign job after the conversation's first message reached Bitrix24:
-- the sales representative the chat was handed to, when that was decided and done, and the CRM
-- record the customer has (found by phone, or created by us as the channel's settings say; the
-- entity with a null id: our record was refused).
ALTER TABLE conversations
  ADD COLUMN assigned_user_id integer,
  ADD COLUMN assigned_at      timestamptz,
  ADD COLUMN crm_entity       text CHECK (crm_entity IN ('lead', 'deal', 'contact', 'company')),
  ADD COLUMN crm_entity_id    integer;
