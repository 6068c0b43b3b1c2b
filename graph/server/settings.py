"""The one settings object, parsed once from the environment (prefix ``PERPGRAPH_``).

Nothing else in the project reads ``os.environ``; ``open_services`` builds everything from
this frozen object and tests build it from a dict (``Settings(**values)``).
``.env.example`` lists every field; a test keeps the two in step.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal

import limits
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from engine.signal.model import Mode, ModeInfo
from engine.signal.modes import with_thresholds


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PERPGRAPH_", env_file=".env", frozen=True, extra="ignore"
    )

    # -- server --------------------------------------------------------------------------
    env: Literal["development", "production"] = "development"
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    workers: int = Field(1, ge=1, le=64)
    log_level: str = "INFO"
    graphiql: bool = True  # in production, GraphiQL is off whatever this says
    graphiql_cdn: bool = False  # GraphiQL's files from unpkg.com, not from the package
    behind_tls: bool = False  # HSTS: set it when a TLS proxy serves the API
    cors_origins: str = (
        ""  # comma list; empty: localhost origins in development, none in production
    )
    trusted_proxies: str = ""  # comma list of proxy addresses whose X-Forwarded-For is believed

    # -- access: API keys, roles, rate limits ----------------------------------------------
    # keys given hashed, for deploys without a database: "sha256:<hex>:<role>[:<name>]", comma list
    api_keys: SecretStr | None = None
    anonymous_role: Literal["none", "read", "admin"] | None = (
        None  # None: admin in development, read in production
    )
    key_cache_s: float = Field(1.0, gt=0, le=60)  # a revoked key is refused after at most this
    rate_limit_anonymous: str = "120/minute"  # requests per client address
    rate_limit_read: str = "600/minute"
    rate_limit_write: str = "600/minute"
    rate_limit_admin: str = "6000/minute"
    cost_budget_anonymous: str = "3000/minute"  # cost points per client address
    cost_budget_read: str = "20000/minute"
    cost_budget_write: str = "20000/minute"
    cost_budget_admin: str = "100000/minute"

    # -- upstream base URLs --------------------------------------------------------------
    binance_base_url: str = "https://fapi.binance.com"
    okx_base_url: str = "https://www.okx.com"
    feargreed_base_url: str = "https://api.alternative.me"
    binance_ws_url: str = "wss://fstream.binance.com"
    okx_ws_url: str = "wss://ws.okx.com:8443"
    coinglass_base_url: str = "https://open-api-v4.coinglass.com"
    lunarcrush_base_url: str = "https://lunarcrush.com"
    coinglass_ws_url: str = "wss://open-ws.coinglass.com"
    hyperliquid_base_url: str = "https://api.hyperliquid.xyz"
    coingecko_base_url: str = "https://api.coingecko.com"

    # -- keys of optional sources (unset: the source is reported "not configured") -------
    coinglass_api_key: SecretStr | None = None
    lunarcrush_api_key: SecretStr | None = None
    coingecko_api_key: SecretStr | None = None  # optional demo key; the public API works without
    # public Hyperliquid accounts whose open positions the scalping "whales" layer shows
    hyperliquid_whale_addresses: str = ""

    # -- HTTP layer (per call; seconds) --------------------------------------------------
    http_connect_timeout_s: float = Field(3.0, gt=0)
    http_pool_timeout_s: float = Field(2.0, gt=0)
    http_max_connections: int = Field(100, ge=1)
    binance_read_timeout_s: float = Field(5.0, gt=0)
    binance_deadline_s: float = Field(8.0, gt=0)
    okx_read_timeout_s: float = Field(5.0, gt=0)
    okx_deadline_s: float = Field(8.0, gt=0)
    feargreed_read_timeout_s: float = Field(5.0, gt=0)
    feargreed_deadline_s: float = Field(8.0, gt=0)
    coinglass_read_timeout_s: float = Field(5.0, gt=0)
    coinglass_deadline_s: float = Field(8.0, gt=0)
    lunarcrush_read_timeout_s: float = Field(5.0, gt=0)
    lunarcrush_deadline_s: float = Field(8.0, gt=0)
    hyperliquid_read_timeout_s: float = Field(5.0, gt=0)
    hyperliquid_deadline_s: float = Field(8.0, gt=0)
    coingecko_read_timeout_s: float = Field(5.0, gt=0)
    coingecko_deadline_s: float = Field(8.0, gt=0)
    http_max_attempts: int = Field(3, ge=1, le=10)
    http_backoff_base_s: float = Field(0.2, ge=0)
    http_backoff_max_s: float = Field(2.0, ge=0)
    http_breaker_threshold: int = Field(5, ge=1)
    http_breaker_cooldown_s: float = Field(15.0, gt=0)
    http_default_retry_after_s: float = Field(30.0, ge=0)
    binance_weight_safety_margin: float = Field(0.1, ge=0, lt=1)  # share of 2,400/min kept free

    # -- cache ---------------------------------------------------------------------------
    redis_url: SecretStr | None = None
    cache_namespace: str = "perpgraph"
    stale_if_error_s: float = Field(120.0, ge=0)
    single_flight_wait_s: float = Field(10.0, gt=0)
    ttl_price_s: float = Field(5.0, gt=0)
    ttl_ticker_24h_s: float = Field(5.0, gt=0)
    ttl_premium_index_s: float = Field(5.0, gt=0)
    ttl_liquidations_s: float = Field(10.0, gt=0)
    ttl_funding_s: float = Field(15.0, gt=0)
    ttl_funding_history_s: float = Field(300.0, gt=0)
    ttl_open_interest_s: float = Field(15.0, gt=0)
    ttl_open_interest_history_s: float = Field(60.0, gt=0)
    ttl_ratios_s: float = Field(60.0, gt=0)
    ttl_taker_volume_s: float = Field(60.0, gt=0)
    ttl_orderbook_s: float = Field(2.0, gt=0)
    ttl_trades_s: float = Field(2.0, gt=0)
    ttl_social_s: float = Field(60.0, gt=0)
    ttl_whales_s: float = Field(10.0, gt=0)  # Hyperliquid accounts and recent trades
    ttl_discovery_s: float = Field(120.0, gt=0)  # CoinGecko markets, trending, coin details
    ttl_fear_greed_s: float = Field(300.0, gt=0)
    ttl_exchange_info_s: float = Field(3600.0, gt=0)
    # klines: TTL = clamp(interval / divisor, min, max); 1m -> 5 s, 1h -> 300 s
    ttl_klines_divisor: float = Field(12.0, gt=0)
    ttl_klines_min_s: float = Field(5.0, gt=0)
    ttl_klines_max_s: float = Field(300.0, gt=0)

    # -- live liquidations ---------------------------------------------------------------
    liquidation_streams: str = "binance,okx"  # comma list of feeds to ingest; "" = none
    # `serve --replay` sets `replay` (every provider points at the replay exchange); with it,
    # the recorded liquidations play again each time they end (times as recorded), and the
    # hub delivers a venue that starts over again. Without `replay`, `replay_loop` does nothing
    replay: bool = False
    replay_loop: bool = True
    subscriber_queue_size: int = Field(1000, ge=1)
    max_subscriptions_per_connection: int = Field(20, ge=1)
    max_connections_per_client: int = Field(50, ge=1)
    # permessage-deflate on WebSockets: off, so every member of a group is sent the same bytes
    ws_compression: bool = False
    connection_init_timeout_s: float = Field(10.0, gt=0)

    # -- signals -------------------------------------------------------------------------
    signal_min_quality_pct: float = Field(50.0, ge=0, le=100)
    # the MSS: each phase passes at this share of its maximum; below the quality minimum
    # its tier is INSUFFICIENT_DATA
    mss_pass_mark_discovery_pct: float = Field(50.0, ge=0, le=100)
    mss_pass_mark_social_pct: float = Field(50.0, ge=0, le=100)
    mss_pass_mark_institutional_pct: float = Field(50.0, ge=0, le=100)
    mss_min_quality_pct: float = Field(50.0, ge=0, le=100)
    signal_update_interval_s: float = Field(30.0, gt=0)  # signalUpdates recompute period
    signal_update_band_points: float = Field(5.0, gt=0)  # a score move across a band pushes
    # each mode's thresholds: SHORT at or below the first, LONG at or above the second
    # (checked 0 <= short < long <= 100); the defaults are engine/signal/modes.py's table
    mode_conservative_short_at_or_below: float = Field(35.0, ge=0, le=100)
    mode_conservative_long_at_or_above: float = Field(65.0, ge=0, le=100)
    mode_aggressive_short_at_or_below: float = Field(45.0, ge=0, le=100)
    mode_aggressive_long_at_or_above: float = Field(55.0, ge=0, le=100)
    mode_ultra_short_at_or_below: float = Field(49.0, ge=0, le=100)
    mode_ultra_long_at_or_above: float = Field(51.0, ge=0, le=100)

    # -- verdicts: the AI judge (any OpenAI-compatible server) and the trade plan --------
    openai_api_key: SecretStr | None = None  # unset: the rule judge answers every verdict
    openai_base_url: str = "https://api.openai.com/v1"
    openai_model: str = "gpt-4o-mini"
    ai_judge_timeout_s: float = Field(8.0, gt=0)  # hard cap, then the rule judge answers
    verdict_account_risk_pct: float = Field(1.0, gt=0, le=100)  # sizeHint's default risk

    # -- history (PostgreSQL), the signal watcher, alerts -----------------------------------
    database_url: SecretStr | None = None  # unset: history answers NOT_CONFIGURED
    database_pool_max: int = Field(10, ge=1)
    history_outbox_path: str = "var/history-outbox.jsonl"  # records wait here while PG is down
    watch_enabled: bool = False  # run the watcher inside `serve` too
    watchlist: str = "BTC,ETH,SOL"
    watch_mode: str = "AGGRESSIVE"
    watch_interval_min: float = Field(15.0, gt=0)
    watch_cooldown_min: float = Field(240.0, ge=0)  # one move of a symbol is one record
    telegram_bot_token: SecretStr | None = None
    telegram_chat_id: str | None = None
    telegram_base_url: str = "https://api.telegram.org"
    telegram_max_attempts: int = Field(3, ge=1, le=10)

    # -- GraphQL limits and hot-query caches --------------------------------------------
    max_query_depth: int = Field(10, ge=2)
    max_aliases: int = Field(50, ge=1)
    max_tokens: int = Field(5000, ge=10)
    max_body_bytes: int = Field(64 * 1024, ge=1024)
    max_symbols_per_query: int = Field(50, ge=1)
    max_candles: int = Field(1500, ge=1)
    max_fragments: int = Field(100, ge=1)
    max_fields: int = Field(2000, ge=1)  # fields with every fragment spread in place
    max_in_flight: int = Field(64, ge=1)  # HTTP requests at once at most; past it 503 OVERLOADED
    loop_lag_target_ms: float = Field(0.5, gt=0)  # event loop later than this: fewer at once
    body_timeout_s: float = Field(10.0, gt=0)  # a request body not in by then: 408
    max_cost: int = Field(1000, ge=1)  # points per request (graph/guard/cost.py)
    max_response_bytes: int = Field(4 * 1024 * 1024, ge=1024)
    request_timeout_s: float = Field(20.0, gt=0)  # execution deadline per operation
    # the REST surface's address as the OpenAPI document states it (GPT Actions call that);
    # unset: the address the document was fetched from
    public_base_url: str | None = None
    # the registry's operations (REST, /invoke, MCP) by their timeout class
    operation_timeout_default_s: float = Field(30.0, gt=0)
    operation_timeout_signal_s: float = Field(45.0, gt=0)
    operation_timeout_smart_money_s: float = Field(60.0, gt=0)
    operation_timeout_mss_s: float = Field(60.0, gt=0)
    operation_timeout_backtest_s: float = Field(180.0, gt=0)
    document_cache_bytes: int = Field(256 * 1024, ge=0)  # document text kept parsed
    response_cache: bool = True
    response_cache_max_entries: int = Field(10_000, ge=1)
    response_cache_max_bytes: int = Field(256 * 1024, ge=1024)  # larger answers are not kept

    @field_validator(
        "rate_limit_anonymous", "rate_limit_read", "rate_limit_write", "rate_limit_admin",
        "cost_budget_anonymous", "cost_budget_read", "cost_budget_write", "cost_budget_admin",
    )  # fmt: skip
    @classmethod
    def _rate(cls, value: str) -> str:
        """Checked at start-up: ``limits``' own notation, e.g. ``600/minute``."""
        try:
            limits.parse(value)
        except ValueError:
            raise ValueError(f"not a rate such as '600/minute': {value!r}") from None
        return value

    @model_validator(mode="after")
    def _modes(self) -> Settings:
        mode_table(self)  # raises ValueError for a pair that is not short < long
        return self

    @model_validator(mode="after")
    def _production(self) -> Settings:
        if self.env == "production":
            if self.anonymous_role == "admin":
                raise ValueError("PERPGRAPH_ANONYMOUS_ROLE=admin is refused in production")
            if self.api_keys is None and self.database_url is None:
                raise ValueError(
                    "production needs API keys: set PERPGRAPH_API_KEYS (hashed) or"
                    " PERPGRAPH_DATABASE_URL (keys made with `perpgraph keys create`)"
                )
        return self

    @property
    def anonymous(self) -> str:
        """What a caller without a key may do: none, read or admin."""
        if self.anonymous_role is not None:
            return self.anonymous_role
        return "read" if self.env == "production" else "admin"

    @field_validator("hyperliquid_whale_addresses")
    @classmethod
    def _whale_addresses(cls, value: str) -> str:
        """Checked at start-up: a mistyped address would otherwise show only in queries."""
        bad = [a for a in (p.strip() for p in value.split(",")) if a and not _ADDRESS.match(a)]
        if bad:
            raise ValueError(f"not a Hyperliquid account address (0x + 40 hex digits): {bad}")
        return value


_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")


def operation_timeouts(settings: Settings) -> dict[str, float]:
    """Each registry timeout class's deadline in seconds (``graph.operations``)."""
    return {
        "default": settings.operation_timeout_default_s,
        "signal": settings.operation_timeout_signal_s,
        "smart_money": settings.operation_timeout_smart_money_s,
        "mss": settings.operation_timeout_mss_s,
        "backtest": settings.operation_timeout_backtest_s,
    }


def mode_table(settings: Settings) -> Mapping[Mode, ModeInfo]:
    """The signal modes with this deployment's thresholds."""
    return with_thresholds(
        {
            Mode.CONSERVATIVE: (
                settings.mode_conservative_short_at_or_below,
                settings.mode_conservative_long_at_or_above,
            ),
            Mode.AGGRESSIVE: (
                settings.mode_aggressive_short_at_or_below,
                settings.mode_aggressive_long_at_or_above,
            ),
            Mode.ULTRA: (
                settings.mode_ultra_short_at_or_below,
                settings.mode_ultra_long_at_or_above,
            ),
        }
    )


__all__ = ["Settings", "mode_table", "operation_timeouts"]
