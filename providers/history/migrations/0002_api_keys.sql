-- API keys: only a SHA-256 digest of each key is kept; the key itself is shown once, when it
-- is made (`perpgraph keys create`). A revoked key keeps its row, with the time it was revoked.

CREATE TABLE api_keys (
    id          TEXT PRIMARY KEY,                 -- the key's public part, in the key itself
    name        TEXT NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('read', 'write', 'admin')),
    digest      BYTEA NOT NULL,                   -- sha256 of the whole key
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    revoked_at  TIMESTAMPTZ
);
