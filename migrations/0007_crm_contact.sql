-- The customer's CRM contact (issue 10, CRM depth). A new customer gets a contact with the phone and
-- name before the lead or deal, which is linked to it: the next lookup by phone finds the customer.
-- `crm_contact_started_at` is set just before chat.assign asks Bitrix24 for the contact and cleared
-- when the answer is recorded: a job that finds it set looks the contact up by phone instead of
-- creating a second one. Forward-only.
ALTER TABLE conversations
  ADD COLUMN crm_contact_id         integer,
  ADD COLUMN crm_contact_started_at timestamptz;
