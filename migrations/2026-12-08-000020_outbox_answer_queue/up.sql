-- The answer claim's queues, as migration 8's for welcomes and postbacks:
-- unleased pending answers by bot, in the order they fall due.
CREATE INDEX CONCURRENTLY IF NOT EXISTS outbox_answer_queue ON outbox (bot_id, run_at, id)
    WHERE state = 'pending' AND kind = 'answer' AND leased_until IS NULL;
