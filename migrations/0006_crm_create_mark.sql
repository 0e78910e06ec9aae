-- Set just before the chat.assign job asks Bitrix24 to create the customer's lead or deal, cleared
-- when the answer is recorded: a job that finds it set does not create blindly (the earlier call may
-- have created the record), it looks the customer up by phone first. Forward-only.
ALTER TABLE conversations ADD COLUMN crm_create_started_at timestamptz;
