"""LunarCrush v4 payloads, named after the upstream fields.

Only the fields this project reads are modelled; the rest is ignored. The success shape of
``topic/{topic}/v1`` rests on LunarCrush's own client code, not on a recorded answer.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, ValidationError

from engine.domain import SocialCoin, SocialSentiment, Sourced
from providers.payloads import OptFloat, OptInt, Payload, as_of


class SentimentCounts(Payload):
    """One network's entry of ``types_sentiment_detail``."""

    positive: float = Field(ge=0)
    neutral: float = Field(ge=0)
    negative: float = Field(ge=0)


class TopicData(Payload):
    """``data`` of ``topic/{topic}/v1``: a 24 h aggregate of the topic's social posts."""

    topic: str | None = None
    num_posts: OptInt = None  # posts with interactions in the last 24 h; absent: no posts
    interactions_24h: OptFloat = None
    types_sentiment_detail: dict[str, SentimentCounts] = Field(default_factory=dict)

    def sentiment_pct(self) -> float | None:
        """Positive posts as a percent of positive and negative ones, over every network.

        Neutral posts are left out, so 50 means as many positive as negative posts (the
        convention of LunarCrush's ``sentiment`` metrics). None when there is nothing to count.
        """
        positive = sum(c.positive for c in self.types_sentiment_detail.values())
        negative = sum(c.negative for c in self.types_sentiment_detail.values())
        if positive + negative <= 0:
            return None
        return 100.0 * positive / (positive + negative)


class TopicConfig(Payload):
    generated: OptInt = None  # when LunarCrush built the answer, unix seconds


class TopicResponse(Payload):
    """``{"config": {...}, "data": {...}}``; ``config`` may be absent."""

    config: TopicConfig | None = None
    data: TopicData

    def to_domain(self, topic: str, received: Sourced) -> SocialSentiment | None:
        """None when the topic has no posts or no positive/negative post to weigh."""
        pct = self.data.sentiment_pct()
        if not self.data.num_posts or pct is None:
            return None
        generated_s = self.config.generated if self.config else None
        venue_ms = generated_s * 1000 if generated_s else None
        return SocialSentiment(
            topic=topic,
            sentiment_pct=pct,
            posts=self.data.num_posts,
            meta=received.at(as_of(venue_ms, received.as_of_ms)),
        )


class CoinRow(Payload):
    """One row of ``coins/list/v2`` (or the ``data`` of ``coins/{coin}/v1``, which has fewer
    fields: no social volume, sentiment or categories)."""

    symbol: str
    name: str | None = None
    topic: str | None = None
    galaxy_score: OptFloat = Field(None, ge=0, le=100)
    galaxy_score_previous: OptFloat = Field(None, ge=0, le=100)
    alt_rank: OptInt = Field(None, ge=1)
    alt_rank_previous: OptInt = Field(None, ge=1)
    social_volume_24h: OptFloat = Field(None, ge=0)
    interactions_24h: OptFloat = Field(None, ge=0)
    social_dominance: OptFloat = Field(None, ge=0)
    sentiment: OptFloat = Field(None, ge=0, le=100)
    categories: str | None = None  # comma-joined, e.g. "layer-1,bitcoin-ecosystem,pow"
    market_cap_rank: OptInt = Field(None, ge=1)

    def to_domain(self, meta: Sourced) -> SocialCoin:
        return SocialCoin(
            symbol=self.symbol,
            name=self.name,
            topic=self.topic,
            galaxy_score=self.galaxy_score,
            galaxy_score_previous=self.galaxy_score_previous,
            alt_rank=self.alt_rank,
            alt_rank_previous=self.alt_rank_previous,
            social_volume_24h=self.social_volume_24h,
            interactions_24h=self.interactions_24h,
            social_dominance_pct=self.social_dominance,
            sentiment_pct=self.sentiment,
            categories=tuple(c for c in (self.categories or "").split(",") if c),
            meta=meta,
        )


class CoinsListResponse(Payload):
    """``{"config": {...}, "data": [row, ...]}`` of ``coins/list/v2``; its ``config`` has no
    ``generated`` time, so rows are as of receipt. Rows are read one by one: a row that
    does not validate is left out (its coin has no data), the others are kept."""

    config: TopicConfig | None = None
    data: list[dict[str, Any]]

    def to_domain(self, received: Sourced) -> tuple[SocialCoin, ...]:
        generated_s = self.config.generated if self.config else None
        meta = received.at(as_of(generated_s * 1000 if generated_s else None, received.as_of_ms))
        rows = []
        for raw in self.data:
            try:
                rows.append(CoinRow.model_validate(raw))
            except ValidationError:
                continue
        # symbols are not unique: of several rows for one, the best ranked by market cap
        best: dict[str, CoinRow] = {}
        for row in rows:
            kept = best.get(row.symbol.upper())
            if kept is None or _rank(row) < _rank(kept):
                best[row.symbol.upper()] = row
        return tuple(row.to_domain(meta) for row in best.values())


def _rank(row: CoinRow) -> int:
    return row.market_cap_rank if row.market_cap_rank is not None else 1 << 30


__all__ = [
    "CoinRow",
    "CoinsListResponse",
    "SentimentCounts",
    "TopicConfig",
    "TopicData",
    "TopicResponse",
]
