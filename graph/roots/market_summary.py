"""``marketSummary``: sentiment over several symbols' signals."""

from __future__ import annotations

import asyncio

import strawberry

from engine.signal import CoinSignal, summarize
from engine.signal.model import Mode
from graph.errors import describe
from graph.types import Ctx
from graph.types.signal import FailedCoinType, MarketSummaryType
from resolvers import signals
from resolvers.arguments import check_ticker_count

SUMMARY_DEFAULT = ("BTC", "ETH", "SOL", "XRP", "BNB")


@strawberry.type
class MarketSummaryQuery:
    @strawberry.field(
        description="Sentiment over several symbols' signals, explained in English and Indonesian."
    )
    async def market_summary(
        self,
        info: Ctx,
        tickers: list[str] | None = None,
        mode: Mode = Mode.AGGRESSIVE,
    ) -> MarketSummaryType:
        info.context.meta.cacheable = False  # its text is built from many sources' states
        chosen = tickers if tickers is not None else list(SUMMARY_DEFAULT)
        check_ticker_count(chosen, info.context.services.limits.max_symbols)
        results = await asyncio.gather(
            *(signals.signal_or_error(info.context, t, mode) for t in chosen)
        )
        coins: dict[tuple[str, str], CoinSignal] = {}  # one row per market, however spelled
        failed: list[FailedCoinType] = []
        for ticker, r in zip(chosen, results, strict=True):
            if isinstance(r, Exception):
                message, code = describe(r)
                failed.append(FailedCoinType(ticker=ticker, code=code, message=message))
                continue
            coins.setdefault(
                (r.ref.ticker, r.ref.quote),
                CoinSignal(
                    ticker=r.ref.ticker,
                    signal=r.result,
                    funding_rate=r.inputs.funding_rate,
                    liquidations=r.inputs.liquidations,
                    price=r.price,
                ),
            )
        return MarketSummaryType.from_engine(summarize(list(coins.values())), mode, failed)


__all__ = ["MarketSummaryQuery"]
