-- Up Migration
-- One send rate per channel and provider (a Twilio long code: 1 message/s), shared by every worker process and
-- every campaign: a delivery reserves its slot here before calling the provider (activities/rate-limit.ts).
CREATE TABLE delivery_rate (
  bucket  text PRIMARY KEY,             -- `<channel>:<provider>`, e.g. `sms:twilio-long-code`
  next_at timestamptz NOT NULL          -- the first free slot
);

-- Down Migration
DROP TABLE delivery_rate;
