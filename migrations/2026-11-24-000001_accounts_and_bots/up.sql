-- Customer accounts. The API key is stored as the SHA-256 of its secret part.
CREATE TABLE accounts (
    id          BIGSERIAL PRIMARY KEY,
    name        TEXT,
    key_hash    BYTEA NOT NULL,
    banned      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- One record per (account, Telegram bot). Soft-deleted rows keep their id and
-- created_at so that a re-add restores them.
CREATE TABLE bots (
    id             BIGSERIAL PRIMARY KEY,
    account_id     BIGINT NOT NULL REFERENCES accounts (id),
    tg             BIGINT NOT NULL,
    username       TEXT NOT NULL,
    name           TEXT NOT NULL,
    -- nonce || ChaCha20-Poly1305 ciphertext of the token, bound to tg.
    token_enc      BYTEA NOT NULL,
    -- SHA-256 of the webhook secret; the secret itself is never stored.
    secret_digest  BYTEA NOT NULL,
    deleted_at     TIMESTAMPTZ,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT bots_one_record_per_account UNIQUE (account_id, tg)
);

-- At most one connected record per Telegram bot in the whole system.
CREATE UNIQUE INDEX bots_one_connected_per_tg ON bots (tg) WHERE deleted_at IS NULL;

