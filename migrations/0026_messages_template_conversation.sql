-- A customer's first Bitrix24 chat shows the templates sent to him before it existed
-- (templates/template-send.repository.ts, queuePendingRecords, run in the delivery's transaction
-- while it holds the conversations). Without an index that looked through every outbound message:
-- about 50 ms a batch on 400,000 messages, and growing with them. Templates only. Forward-only.
CREATE INDEX messages_template_conversation ON messages (conversation_id) WHERE type = 'template' AND direction = 'out';
