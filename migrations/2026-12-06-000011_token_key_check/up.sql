-- One proof of the key bot tokens are sealed with: a known value sealed
-- under secrets.token_key by the first instance that starts. Every later
-- instance must open it, or it refuses to start, so two instances sharing
-- this database never seal tokens under different keys. A small new table:
-- nothing an older instance reads is locked.
CREATE TABLE token_key_check (
    id smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    sealed bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
