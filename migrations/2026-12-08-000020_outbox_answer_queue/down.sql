DROP INDEX IF EXISTS outbox_answer_queue;
