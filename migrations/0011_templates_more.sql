-- Templates (issue 11): the text header's own {{1}}. WhatsApp numbers a header's variable apart from
-- the body's, so its name and example cannot live in `params` (the body's {{1}}…{{n}} in order):
-- {"name": "...", "example": "..."} or null when the header has no variable. Forward-only.
ALTER TABLE templates ADD COLUMN header_param jsonb;
