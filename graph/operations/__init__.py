"""The operation registry: named GraphQL documents, one file per operation, with metadata.

Every operation offered outside GraphQL (REST, the ``/invoke`` RPC, MCP tools, the GPT
Actions document) is a ``*.graphql`` file in this folder, and nothing else: the surfaces
execute these documents through the same schema, limits and caches as ``/graphql``, so
they can never disagree. A file starts with its metadata as TOML in ``#|`` comment lines
(GraphQL ignores comments), then holds exactly one operation named as the file::

    #| summary = "LONG/SHORT/NEUTRAL signal for one coin ..."      # at most 300 characters
    #| rpc = ["signals.get"]                                       # the RPC names
    #| timeout = "signal"             # default / signal / smart_money / mss / backtest
    #| [variables.ticker]
    #| description = "Coin ticker, e.g. BTC (BTCUSDT also works)." # at most 700 characters
    #| example = "BTC"
    query signal($ticker: String!, $mode: SignalMode! = AGGRESSIVE) { ... }

Whether an operation is consequential is not written: it is a mutation or it is not.
``load_registry`` reads and checks them all, and ``Registry.validate`` checks each document
against the schema (the server does both at start-up, and a test does).
"""

from graph.operations.registry import (
    TIMEOUT_CLASSES,
    Operation,
    Registry,
    RegistryError,
    Variable,
    load_registry,
)

__all__ = ["TIMEOUT_CLASSES", "Operation", "Registry", "RegistryError", "Variable", "load_registry"]
