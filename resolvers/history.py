"""Signal history: recording actionable signals with their verdicts, scoring them afterwards,
and alerting.

* ``record`` takes a symbol's signal and verdict (``resolvers.verdicts``) and writes them
  through the store's outbox: it returns once the record is durable on disk, PostgreSQL up
  or not. NEUTRAL signals are never recorded (``NEUTRAL_SIGNAL``).
* A record's id is stable for (ticker, mode, direction, time bucket, source): recording the
  same move twice within its bucket is one row.
* ``evaluate_due`` scores recorded verdicts once their horizon (1 h, 4 h, 24 h) has passed,
  from the real 5-minute candles that followed (``engine.verdict.accuracy``). Binance serves
  the newest 1,000 of them (about 83 h), so a verdict left unscored for longer than that stays
  pending; a verdict without a stop (no plan) is not scored.
* Each recorded signal is handed to the alert sender when one is configured
  (``graph.server.jobs.alerts``: Telegram, in the background); a failed send never touches
  the record.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from engine.signal.model import Direction, Mode
from engine.symbols import SymbolRef
from engine.verdict import Hit, SizeHint, evaluate
from providers.history import (
    HORIZONS,
    HistoryStore,
    OutcomeRow,
    PendingEvaluation,
    SignalRow,
    VerdictRow,
    signal_id,
)
from providers.telegram import AlertFactor, SignalAlert
from resolvers import market, symbols, verdicts
from resolvers.context import Context, fresh_context
from resolvers.errors import NotActionable, NotConfigured
from resolvers.services import Services

log = logging.getLogger("perpgraph.history")

EVALUATION_INTERVAL = "5m"
EVALUATION_CANDLES = 1000  # the most one klines call gives: about 83 h of 5-minute candles
FIVE_MINUTES_MS = 5 * 60_000
# how far back the evaluation candles reach: older verdicts cannot be scored any more
CANDLES_COVER = timedelta(milliseconds=EVALUATION_CANDLES * FIVE_MINUTES_MS)


@dataclass(frozen=True, slots=True)
class Recorded:
    signal: SignalRow
    verdict: VerdictRow
    judged: verdicts.Judged


def store_of(services: Services) -> HistoryStore:
    if services.history is None:
        raise NotConfigured("signal history needs PERPGRAPH_DATABASE_URL")
    return services.history


def rows(
    judged: verdicts.Judged,
    source: str,
    now: datetime,
    bucket: timedelta,
    idempotency_key: str | None = None,
) -> tuple[SignalRow, VerdictRow]:
    """The judged signal as history rows. The id groups one move: the same ticker, mode and
    direction within one ``bucket`` of time, or, when the caller gives one, the same
    ``idempotency_key``."""
    r, v = judged.computed.result, judged.verdict
    ticker, mode = judged.computed.ref.ticker, r.mode.mode.value
    if idempotency_key is not None:
        raw = f"{ticker}|{mode}|{source}|key:{idempotency_key}".encode()
        row_id = hashlib.sha256(raw).hexdigest()[:32]
    else:
        seconds = max(int(bucket.total_seconds()), 1)
        bucket_start = datetime.fromtimestamp(int(now.timestamp()) // seconds * seconds, tz=UTC)
        row_id = signal_id(ticker, mode, r.direction.value, bucket_start, source)
    signal = SignalRow(
        id=row_id,
        ticker=ticker,
        mode=mode,
        direction=r.direction.value,
        score=r.score,
        confidence=r.confidence.value,
        price=judged.computed.price,
        factors={
            f.name: {"weight": f.weight, "sub_score": f.sub_score, "contribution": f.contribution}
            for f in r.factors
        },
        quality={
            "score_pct": r.quality.score_pct,
            "sources": {s.name: s.state.value for s in r.quality.sources},
        },
        recorded_at=now,
        source=source,
    )
    plan = v.plan
    verdict = VerdictRow(
        verdict=v.verdict.value,
        risk_mode=v.risk_mode.value,
        position_multiplier=v.position_multiplier,
        judge=v.judge.value,
        model=v.model,
        fallback_reason=v.fallback_reason,
        entry=None if plan is None else plan.entry,
        stop_loss=None if plan is None else plan.stop_loss,
        take_profits=() if plan is None else plan.take_profits,
        atr=None if plan is None else plan.atr,
        size_hint=None if plan is None else asdict(plan.size_hint),
        plan_text="" if plan is None else plan.text,
        created_at=now,
        summary=v.summary,
    )
    return signal, verdict


async def record(
    ctx: Context,
    ref: SymbolRef,
    mode: Mode,
    source: str,
    bucket: timedelta,
    now: datetime | None = None,
    idempotency_key: str | None = None,
) -> Recorded:
    """Record ``ref``'s signal and verdict in ``mode`` at ``now`` (default: the clock's);
    durable on return. One alert per record id, however often it is recorded."""
    store = store_of(ctx.services)
    judged = await verdicts.verdict(ctx, ref, mode)
    if judged.computed.result.direction is Direction.NEUTRAL:
        raise NotActionable(ref.ticker)
    signal, verdict = rows(judged, source, now or datetime.now(UTC), bucket, idempotency_key)
    await store.record(signal, verdict)
    alerts = ctx.services.alerts
    if alerts is not None:
        alerts.send_later(signal.id, alert(signal, verdict, judged))
    return Recorded(signal, verdict, judged)


def alert(signal: SignalRow, verdict: VerdictRow, judged: verdicts.Judged) -> SignalAlert:
    plan = judged.verdict.plan
    return SignalAlert(
        ticker=signal.ticker,
        direction=signal.direction,
        score=signal.score,
        mode=signal.mode,
        verdict=verdict.verdict,
        risk_mode=verdict.risk_mode,
        position_multiplier=verdict.position_multiplier,
        entry=None if plan is None else plan.entry,
        stop_loss=verdict.stop_loss,
        take_profits=verdict.take_profits,
        top_factors=tuple(
            AlertFactor(f.name, f.contribution) for f in judged.computed.result.top_factors
        ),
        judge=verdict.judge,
        ts_ms=int(signal.recorded_at.timestamp() * 1000),
        model=verdict.model,
        fallback_reason=verdict.fallback_reason,
        summary=verdict.summary,
    )


# -- scoring recorded verdicts ---------------------------------------------------------------


async def evaluate_due(services: Services, now: datetime) -> int:
    """Score every recorded verdict whose horizon has passed; the outcomes recorded."""
    store = store_of(services)
    recorded = 0
    for horizon in HORIZONS:
        for due in await store.pending_evaluations(horizon, now, since=now - CANDLES_COVER):
            try:
                outcome = await _score(services, due, now)
            except Exception as exc:  # one symbol's failure (delisted, upstream down) only
                log.warning(  # postpones its own scoring, never the others'
                    "scoring %s at %s failed: %s",
                    due.signal.ticker,
                    horizon,
                    getattr(exc, "code", None) or type(exc).__name__,
                )
                continue
            if outcome is not None:
                await store.record_outcome(outcome)
                recorded += 1
    return recorded


async def _score(services: Services, due: PendingEvaluation, now: datetime) -> OutcomeRow | None:
    v, s = due.verdict, due.signal
    if v.entry is None or v.stop_loss is None or not v.take_profits or v.size_hint is None:
        return None  # no plan: nothing to score a stop or a target against
    ctx = fresh_context(services)
    ref = await symbols.resolve_symbol(ctx, s.ticker)
    candles = await market.candles(ctx, ref, EVALUATION_INTERVAL, EVALUATION_CANDLES)
    entry_ms = int(s.recorded_at.timestamp() * 1000)
    closed = [
        c
        for c in candles.value.candles
        if c.open_time_ms + FIVE_MINUTES_MS <= now.timestamp() * 1000
    ]
    (outcome,) = evaluate(
        Direction(s.direction),
        v.entry,  # the plan's entry: its stop and targets were placed around it
        entry_ms,
        v.stop_loss,
        v.take_profits,
        v.position_multiplier,
        SizeHint(**v.size_hint),
        closed,
        interval_ms=FIVE_MINUTES_MS,
        horizons=(int(HORIZONS[due.horizon].total_seconds() * 1000),),
    )
    if not outcome.complete or outcome.return_pct is None:
        return None  # the candles do not cover the horizon yet (or no longer)
    hit_at = (
        None
        if outcome.first_hit is Hit.NEITHER or outcome.hit_time_ms is None
        else datetime.fromtimestamp(outcome.hit_time_ms / 1000, tz=UTC)
    )
    return OutcomeRow(
        signal_id=s.id,
        horizon=due.horizon,
        return_pct=outcome.return_pct,
        hit=outcome.first_hit.value,
        hit_at=hit_at,
        trade_return_pct=outcome.trade_return_pct,
        pnl_pct=outcome.pnl_pct_of_equity,
        evaluated_at=now,
    )


__all__ = [
    "Recorded",
    "alert",
    "evaluate_due",
    "record",
    "rows",
    "store_of",
]
