-- The answer claim's leased items by bot (what is in flight).
CREATE INDEX CONCURRENTLY IF NOT EXISTS outbox_answer_leases ON outbox (bot_id)
    WHERE state = 'pending' AND kind = 'answer' AND leased_until IS NOT NULL;
