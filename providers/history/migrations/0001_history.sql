-- Signal history: signals (LONG/SHORT only), their verdicts, and outcomes at 1h/4h/24h.
-- Ids are computed by the writer (a hash of ticker, mode, direction, time bucket, source), so a
-- replayed record is the same row: every insert uses ON CONFLICT DO NOTHING.

CREATE TABLE signals (
    id          TEXT PRIMARY KEY,
    ticker      TEXT NOT NULL,
    mode        TEXT NOT NULL,
    direction   TEXT NOT NULL CHECK (direction IN ('LONG', 'SHORT')),
    score       DOUBLE PRECISION NOT NULL,
    confidence  TEXT NOT NULL,
    price       DOUBLE PRECISION NOT NULL CHECK (price > 0),
    factors     JSONB NOT NULL DEFAULT '{}',
    quality     JSONB NOT NULL DEFAULT '{}',
    recorded_at TIMESTAMPTZ NOT NULL,
    source      TEXT NOT NULL CHECK (source IN ('watcher', 'mutation')),
    inserted_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- history() pages newest first on (recorded_at, id), optionally per ticker or direction
CREATE INDEX signals_time ON signals (recorded_at DESC, id DESC);
CREATE INDEX signals_ticker_time ON signals (ticker, recorded_at DESC, id DESC);
CREATE INDEX signals_direction_time ON signals (direction, recorded_at DESC, id DESC);

CREATE TABLE verdicts (
    signal_id           TEXT PRIMARY KEY REFERENCES signals (id) ON DELETE CASCADE,
    verdict             TEXT NOT NULL CHECK (verdict IN ('CONFIRM', 'DOWNSIZE', 'SKIP', 'WAIT')),
    risk_mode           TEXT NOT NULL,
    position_multiplier DOUBLE PRECISION NOT NULL CHECK (position_multiplier BETWEEN 0 AND 1.5),
    judge               TEXT NOT NULL CHECK (judge IN ('AI', 'RULES')),
    model               TEXT,
    fallback_reason     TEXT,
    summary             TEXT NOT NULL DEFAULT '',
    entry               DOUBLE PRECISION,
    stop_loss           DOUBLE PRECISION,
    take_profits        DOUBLE PRECISION[] NOT NULL DEFAULT '{}',
    atr                 DOUBLE PRECISION,
    size_hint           JSONB,
    plan_text           TEXT NOT NULL DEFAULT '',
    created_at          TIMESTAMPTZ NOT NULL
);

CREATE TABLE outcomes (
    signal_id        TEXT NOT NULL REFERENCES verdicts (signal_id) ON DELETE CASCADE,
    horizon          TEXT NOT NULL CHECK (horizon IN ('1h', '4h', '24h')),
    return_pct       DOUBLE PRECISION NOT NULL,
    hit              TEXT NOT NULL CHECK (hit IN ('STOP', 'TARGET1', 'NEITHER')),
    hit_at           TIMESTAMPTZ,
    trade_return_pct DOUBLE PRECISION,
    pnl_pct          DOUBLE PRECISION,
    evaluated_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (signal_id, horizon),
    CHECK ((hit = 'NEITHER') = (hit_at IS NULL))
);
