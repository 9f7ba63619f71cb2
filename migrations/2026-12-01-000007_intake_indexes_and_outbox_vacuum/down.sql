ALTER TABLE outbox RESET (autovacuum_vacuum_scale_factor, autovacuum_vacuum_threshold,
                          autovacuum_analyze_scale_factor, autovacuum_analyze_threshold);
ALTER TABLE journal ADD PRIMARY KEY (id);
ALTER TABLE member_events ADD PRIMARY KEY (bot_id, update_id);
