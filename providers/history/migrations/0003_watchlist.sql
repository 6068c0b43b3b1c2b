-- The MSS watchlist: the coins each API key watches, one row per (key, ticker). Adding a coin
-- already watched changes nothing (ON CONFLICT DO NOTHING keeps its first added_at).

CREATE TABLE watchlist (
    owner     TEXT NOT NULL,                  -- the API key's id (never the key)
    ticker    TEXT NOT NULL,                  -- the canonical ticker (BTC, PEPE)
    added_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (owner, ticker)
);
