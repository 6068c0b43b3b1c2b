"""Error presentation: expected errors keep their message with a code; the rest is masked
for the client and logged whole."""

from __future__ import annotations

import logging

import pytest
from graphql import GraphQLError

from graph.errors import log_errors, present
from providers.errors import UpstreamRateLimited
from resolvers.errors import FallbackExhausted, InvalidArgument, UnknownSymbol, schema_words


def _wrapped(exc: Exception) -> GraphQLError:
    return GraphQLError(str(exc), path=["symbol", "price"], original_error=exc)


def test_unexpected_errors_are_masked_and_logged_whole(caplog: pytest.LogCaptureFixture) -> None:
    error = _wrapped(RuntimeError("db password is hunter2"))
    shown = present(error)
    assert shown.message == "Internal server error"
    assert shown.extensions == {"code": "INTERNAL"}
    assert "hunter2" not in str(shown.formatted)
    with caplog.at_level(logging.INFO, logger="perpgraph.errors"):
        log_errors([error])
    (record,) = caplog.records
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None and "hunter2" in str(record.exc_info[1])


def test_expected_errors_keep_message_and_code(caplog: pytest.LogCaptureFixture) -> None:
    limited = UpstreamRateLimited("binance rate limit hit (HTTP 429)", provider="binance",
                                  endpoint="/fapi/v1/premiumIndex", status=429, retry_after_s=30)  # fmt: skip
    shown = present(_wrapped(limited))
    assert shown.message == "binance rate limit hit (HTTP 429)"
    assert shown.extensions == {
        "code": "RATE_LIMITED",
        "provider": "binance",
        "endpoint": "/fapi/v1/premiumIndex",
        "retryAfter": 30,
    }
    unknown = present(_wrapped(UnknownSymbol("BTCX", ("BTC",))))
    assert unknown.extensions == {"code": "UNKNOWN_SYMBOL", "suggestions": ["BTC"]}
    bad = present(_wrapped(InvalidArgument("BAD_LIMIT", "limit must be between 1 and 5")))
    assert (bad.message, bad.extensions) == ("limit must be between 1 and 5", {"code": "BAD_LIMIT"})
    with caplog.at_level(logging.INFO, logger="perpgraph.errors"):
        log_errors([_wrapped(limited)])
    assert [r.levelno for r in caplog.records] == [logging.INFO]
    assert caplog.records[0].exc_info is None


def test_fallback_failure_reports_the_primary_with_the_fallback_beside_it() -> None:
    primary = UpstreamRateLimited(
        "binance paused", provider="binance", endpoint="p", retry_after_s=5
    )
    fallback = UpstreamRateLimited("okx paused", provider="okx", endpoint="q")
    shown = present(_wrapped(FallbackExhausted(primary, fallback)))
    assert shown.extensions is not None
    assert shown.extensions["provider"] == "binance"
    assert shown.extensions["fallback"] == {"provider": "okx", "code": "RATE_LIMITED"}


def test_messages_speak_the_schemas_words() -> None:
    from resolvers.loaders import DATASET_WORDS, _not_served

    engine = "swing_length must be an integer >= 1, got 0"
    assert schema_words(engine) == "swingLength must be an integer >= 1, got 0"
    quoted = "range_candles must be at least 1, got 'a_b'"
    assert schema_words(quoted) == "rangeCandles must be at least 1, got 'a_b'"  # as sent
    for dataset, words in DATASET_WORDS.items():
        message = str(_not_served("binance", dataset))
        assert message == f"binance has no {words} data for this symbol"
        assert "_" not in message, message
    assert str(_not_served("binance", "premium_index")) == (
        "binance has no mark price and funding data for this symbol"
    )
