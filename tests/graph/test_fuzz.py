"""Schemathesis against the running server on the replay exchange: its OpenAPI mode from the
server's own ``/openapi.json`` (every operation, every default check), and its GraphQL mode
from ``/graphql``'s introspection (no server errors).

Schemathesis runs as its command line does (``schemathesis run``), in a process of its own
(two cores: it generates while the server answers), with a configuration file written per
run, and fails the test with its own report of every failure, each with a curl line. REST
gets every phase: the parameters' examples, the coverage cases (boundaries, each parameter
missing or wrong, other methods), fuzzing, and the paged operations walked page by page
(the document's ``nextPage`` links); GraphQL has fuzzing only. The example count per
operation is ``PERPGRAPH_FUZZ_EXAMPLES`` (20 unless set; ``make fuzz`` asks for 100), and
generation is derandomized: a run is the same run on every machine.

The server is the one the other tests start (``replay_settings``: rate limits and cost
budgets lifted, as a 429 is right but no coverage), with a PostgreSQL database of its own
(history and ``recordSignal`` are served, not NOT_CONFIGURED) and the Binance liquidation
stream read from the replay (``liquidationStats`` is served, not INGEST_NOT_RUNNING).
Requests carry the admin key: ``recordSignal`` needs a key and ``cacheStats`` an admin.

This module is also the runs' hooks module (``hooks = "tests.graph.test_fuzz"``). Every
check of 4.x is on (its defaults: all of them), but four built-in ones are turned off and
run instead as the checks below, each narrowed for the one thing it cannot know about this
API, written in it, and no further: REST's positive_data_acceptance and
negative_data_rejection, GraphQL's not_a_server_error and positive_data_acceptance.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import schemathesis
from schemathesis import Case, CheckContext, Response
from schemathesis.core.failures import Failure
from schemathesis.core.parameters import ParameterLocation
from schemathesis.graphql import nodes
from schemathesis.graphql.checks import GraphQLServerError
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance
from schemathesis.specs.openapi.formats import rfc3339_values

from graph.server.problems import status_of
from tests.conftest import ADMIN_DSN
from tests.support import KEYS, ROOT, ApiServer, Replay, replay_settings

EXAMPLES = int(os.environ.get("PERPGRAPH_FUZZ_EXAMPLES", "20"))
# the longest one answer may take: the server's own deadlines are longer (20 s a GraphQL
# request, 30 to 60 s a REST operation), so a slow answer fails the run rather than hangs it
REQUEST_TIMEOUT_S = 30.0
# a whole run: the longest seen was 1.3 s an example (100 an operation: 131 s for both
# runs), so past this something hangs
RUN_TIMEOUT_S = 120.0 + 6.0 * EXAMPLES
CURSOR = "after"  # the cursor parameter of the paged operations
BAD_CURSOR = "BAD_CURSOR"  # the code of a text that is not a cursor the server gave out
BAD_QUESTION = "BAD_QUESTION"  # the code of an ask the parser cannot read
TOO_COSTLY = "QUERY_TOO_COSTLY"  # the code of an operation refused for its cost
QUERY = ParameterLocation.QUERY
COINS = ["BTC", "ETH", "SOL", "BTCUSDT", "ethereum", "sol", "NOSUCHCOIN"]
COIN_KEYS = (  # where a coin is asked: REST parameters and body, GraphQL arguments
    "query.ticker", "query.tickers[*]", "body.ticker", "*.*.ticker", "*.*.tickers[*]",
)  # fmt: skip


@schemathesis.check
def positive_data_acceptance_but_cursors(
    ctx: CheckContext, response: Response, case: Case[Any]
) -> bool | None:
    """``positive_data_acceptance``, but for the one refusal it cannot foresee: a cursor
    (``after``) is an opaque text only the server makes (a page's ``endCursor``, bound to
    the sort it was made for), so a string drawn from its schema is almost never one, and
    BAD_CURSOR (400) is the documented answer. Only that refusal passes, of a case that
    carried a drawn ``after`` (``_drawn``); every other parameter of the case is still held
    to the check, and real cursors (the examples, the ``nextPage`` links) must be served. Likewise ``ask``'s question: any
    text up to 500 characters is valid input, but what it means no schema can say, and a
    text it cannot read is BAD_QUESTION (400, with example phrases), as documented."""
    if response.status_code == 200:
        _note_cursors(_json(response), (case.query or {}).get(SORT))
    try:
        return positive_data_acceptance(ctx, response, case)
    except Failure:
        if response.status_code == 400:
            body = _json(response)
            code = body.get("code") if isinstance(body, dict) else None
            if code == BAD_CURSOR and CURSOR in (case.query or {}) and _drawn(case):
                return None
            if code == BAD_QUESTION and case.operation.label == "GET /api/v1/ask":
                return None
        raise


SORT = "sort"  # the parameter a cursor is bound to (futuresUniverse's order)
# every endCursor the server has answered in this run, with the sort it was made for
ISSUED: dict[str, object] = {}


def _note_cursors(value: Any, sort: object) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "endCursor" and isinstance(item, str):
                ISSUED[item] = sort
            else:
                _note_cursors(item, sort)
    elif isinstance(value, list):
        for item in value:
            _note_cursors(item, sort)


def _drawn(case: Case[Any]) -> bool:
    """Whether the case's cursor is not one the server gave out for this sort: drawn from
    the schema, or one of another sort (the schema cannot tie the two parameters). A
    cursor it gave out (an ``endCursor`` of its answers, sent again by walking the
    ``nextPage`` links) sent with its own sort must be served."""
    query = case.query or {}
    cursor = str(query.get(CURSOR))
    return cursor not in ISSUED or ISSUED[cursor] != query.get(SORT)


@schemathesis.check
def negative_data_rejection_but_lists(
    ctx: CheckContext, response: Response, case: Case[Any]
) -> bool | None:
    """``negative_data_rejection``, but with a list parameter read as the server reads it:
    each value of a repeated parameter is also split at commas, and blank parts are dropped
    (``graph.operations.params``, the replaced system's form: ``tickers=BTC,ETH``). The
    document says an item holds no comma and is not blank, which is what a client must
    send for one item; an item drawn against that (``"BTC,ETH"``, ``" "``) is another
    valid request read the server's way, and serving it is right. Only a case that is
    valid once its lists are read so passes; anything else it carries is still judged."""
    try:
        return negative_data_rejection(ctx, response, case)
    except Failure:
        if _valid_as_lists_are_read(case):
            return None
        raise


def _valid_as_lists_are_read(case: Case[Any]) -> bool:
    meta = case.meta
    query = case.query
    if meta is None or not isinstance(query, dict) or not meta.is_negative_at(QUERY):
        return False
    if any(meta.is_negative_at(where) for where in ParameterLocation if where != QUERY):
        return False
    read = dict(query)
    for name, value in query.items():
        parameter = case.operation.query.get(name)
        if parameter is None or not isinstance(value, list):
            continue
        if parameter.definition.get("schema", {}).get("type") != "array":
            continue
        if not all(isinstance(item, str) for item in value):
            return False  # not text: nothing the server splits
        read[name] = [part.strip() for item in value for part in item.split(",") if part.strip()]
    if read == query:
        return False
    return bool(case.operation.get_parameter_set(QUERY).get_strict_validator().is_valid(read))


@schemathesis.check
def positive_data_acceptance_but_costs(
    ctx: CheckContext, response: Response, case: Case[Any]
) -> bool | None:
    """GraphQL's ``positive_data_acceptance``, but for the refusal it cannot foresee: the
    server bounds every operation's work before it runs (DESIGN.md, "Who may do what, and
    how much": a static cost against a per-request maximum), and a query drawn from the
    schema, with lists of thousands nested in lists, often costs more. QUERY_TOO_COSTLY
    (``extensions.cost`` says by how much) is that answer; only a refusal made of it
    passes."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except Failure:
        body = _json(response)
        errors = body.get("errors") if isinstance(body, dict) else None
        if errors and all(_code(error) == TOO_COSTLY for error in errors):
            return None
        raise


@schemathesis.check
def graphql_server_errors(ctx: CheckContext, response: Response, case: Case[Any]) -> bool | None:
    """No server error: no 5xx status, and no error in the answer that the server's own
    codes call its failure (``graph.server.problems.status_of`` 5xx: INTERNAL for what was
    masked, TIMEOUT, UPSTREAM_*...) or that has no code at all.

    It stands in for ``not_a_server_error``, whose GraphQL half takes every error with a
    ``path`` and without an Apollo or graphql-java client code for a server error. This
    server codes a caller's bad argument BAD_LIMIT, BAD_PERIOD, BAD_ARGUMENT..., a coin it
    does not know UNKNOWN_SYMBOL, data a venue has not got NO_DATA (400 and 404 on REST, by
    the same table): answers, not failures."""
    if response.status_code >= 500:
        raise GraphQLServerError(
            operation=case.operation.label,
            message=f"{response.status_code}: {response.text[:1000]}",
            errors=[],
        )
    body = _json(response)
    errors = body.get("errors") if isinstance(body, dict) else None
    failed: list[Any] = []
    for error in errors if isinstance(errors, list) else ():
        code = _code(error)
        if code is None or status_of(code) >= 500:
            failed.append(error)
    if failed:
        raise GraphQLServerError(
            operation=case.operation.label,
            message="\n".join(json.dumps(error)[:500] for error in failed),
            errors=failed,
        )
    return None


# GraphQL DateTime arguments: schemathesis draws UTC times only ("...Z"), the server reads
# any offset, and a time near either end of the calendar in another offset is where a
# date-time goes wrong; so they are drawn as RFC 3339 has them, "Z" or any offset
schemathesis.graphql.scalar("DateTime", rfc3339_values("date-time").map(nodes.String))


def _code(error: Any) -> str | None:
    extensions = error.get("extensions") if isinstance(error, dict) else None
    code = extensions.get("code") if isinstance(extensions, dict) else None
    return code if isinstance(code, str) else None


def _json(response: Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None  # a body that is not JSON: response_schema_conformance says so


@dataclass(frozen=True)
class Run:
    """One ``schemathesis run``: its exit code, its report, and per operation the cases
    sent and the seconds their answers took (from its NDJSON events)."""

    exit_code: int
    output: str
    report: dict[str, Any]
    cases: dict[str, int]
    seconds: dict[str, float]
    slowest: dict[str, float]

    def table(self, title: str) -> str:
        lines = [
            f"{title}: {EXAMPLES} examples per operation asked, {self.report['running_time']:.1f} s"
        ]
        for label in sorted(self.seconds, key=self.seconds.__getitem__, reverse=True):
            lines.append(
                f"  {label:40} {self.cases[label]:5} cases {self.seconds[label]:7.2f} s"
                f" slowest {self.slowest[label]:5.2f} s"
            )
        return "\n".join(lines)


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a TOML basic string
    return repr(value)


def schemathesis_run(
    location: str, folder: Path, *, disabled: tuple[str, ...], credentials: list[str]
) -> Run:
    """``schemathesis run location`` with every check on but ``disabled``, the key given
    by the TOML lines ``credentials``; its reports in ``folder``."""
    settings = {"hooks": "tests.graph.test_fuzz", "request-timeout": REQUEST_TIMEOUT_S}
    lines = [f"{key} = {_toml(value)}" for key, value in settings.items()]
    lines += credentials
    lines += ["[generation]", f"max-examples = {EXAMPLES}", "deterministic = true"]
    # no crash cache (.schemathesis/ in the checkout): each run is the same run, from nothing
    lines += ["[cache]", "enabled = false"]
    # half of the coins asked are ones the replay has recordings for (or a name it must
    # refuse), in the forms the parameters take: drawn text alone is an unknown coin
    lines += ["[dictionaries.coins]", f"values = {json.dumps(COINS)}", "[parameters]"]
    lines += [f'"{key}" = {{ dictionary = "coins", probability = 0.5 }}' for key in COIN_KEYS]
    for name in disabled:
        lines += [f"[checks.{name}]", "enabled = false"]
    config = folder / "schemathesis.toml"
    config.write_text("\n".join(lines) + "\n")
    report, events = folder / "report.json", folder / "events.ndjson"
    command = [
        sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "run", location,
        "--report", "json,ndjson", "--report-json-path", str(report),
        "--report-ndjson-path", str(events), "--no-color",
    ]  # fmt: skip
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=RUN_TIMEOUT_S, check=False
    )
    cases: dict[str, int] = {}
    seconds: dict[str, float] = {}
    slowest: dict[str, float] = {}
    if not events.exists() or not report.exists():  # it stopped before running anything
        pytest.fail(f"schemathesis wrote no report:\n{done.stdout}\n{done.stderr}")
    with events.open() as lines_in:
        for line in lines_in:
            event = json.loads(line)
            finished = event.get("ScenarioFinished")
            if finished is None:
                continue
            recorder = finished["recorder"]
            labels = {}  # a stateful scenario walks several operations: each case to its own
            for case_id, node in recorder.get("cases", {}).items():
                case = node["value"]
                own = f"{case['method'].upper()} {case['path']}"
                labels[case_id] = own if finished["phase"] == "stateful" else recorder["label"]
                cases[labels[case_id]] = cases.get(labels[case_id], 0) + 1
            for case_id, interaction in recorder.get("interactions", {}).items():
                label = labels.get(case_id, recorder["label"])
                took = (interaction.get("response") or {}).get("elapsed", 0.0)
                seconds[label] = seconds.get(label, 0.0) + took
                slowest[label] = max(slowest.get(label, 0.0), took)
    return Run(
        exit_code=done.returncode,
        output=done.stdout + done.stderr,
        report=json.loads(report.read_text()),
        cases=cases,
        seconds=seconds,
        slowest=slowest,
    )


async def _database(sql: str) -> None:
    admin = await asyncpg.connect(ADMIN_DSN)
    try:
        await admin.execute(sql)
    finally:
        await admin.close()


@pytest.fixture(scope="module")
def fuzzed(replay_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    """The server under fuzzing, with a few signals recorded (history has pages to show)."""
    Replay(replay_server).reset()
    name = f"perpgraph_t_{uuid.uuid4().hex[:12]}"
    asyncio.run(_database(f'CREATE DATABASE "{name}"'))
    server: ApiServer | None = None
    try:
        server = ApiServer(
            replay_settings(
                replay_server,
                database_url=f"postgresql://postgres@127.0.0.1:5432/{name}",
                history_outbox_path=str(tmp_path_factory.mktemp("fuzz") / "outbox.jsonl"),
                liquidation_streams="binance",
                binance_ws_url="ws" + replay_server.removeprefix("http"),
            )
        )
        server.start()
        recorded = [
            httpx.post(
                f"{server.url}/api/v1/recordSignal",
                json={"ticker": ticker, "mode": mode},
                headers={"authorization": f"Bearer {KEYS['admin']}"},
                timeout=30,
            )
            for ticker in ("ETH", "SOL", "BTC")
            for mode in ("AGGRESSIVE", "ULTRA")
        ]
        # which of them lean LONG or SHORT moves with the liquidations streamed so far; a
        # NEUTRAL one is not recorded (409), and two rows are pages enough
        assert sum(r.status_code == 200 for r in recorded) >= 2, [r.text for r in recorded]
        yield server
    finally:
        if server is not None:
            server.stop()
        asyncio.run(_database(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        Replay(replay_server).reset()


def _passed(run: Run, title: str, capsys: pytest.CaptureFixture[str]) -> None:
    """The run found nothing, tested every operation, each with cases; its timings shown."""
    with capsys.disabled():
        print("\n" + run.table(title))
    assert run.exit_code == 0, run.output
    operations = run.report["operations"]
    assert operations["tested"] == operations["selected"] == operations["total"] > 0, run.output
    assert operations["errored"] == operations["skipped"] == 0, run.output
    assert len(run.cases) == operations["total"] and min(run.cases.values()) > 0, run.cases


def test_rest_keeps_to_its_openapi_document(
    fuzzed: ApiServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = schemathesis_run(
        f"{fuzzed.url}/openapi.json",
        tmp_path,
        # positive_data_acceptance runs as positive_data_acceptance_but_cursors, and
        # negative_data_rejection as negative_data_rejection_but_lists
        disabled=(
            "positive_data_acceptance",
            "negative_data_rejection",
            "positive_data_acceptance_but_costs",
            "graphql_server_errors",
        ),
        # by the document's own security scheme, so that ignored_auth knows the key
        credentials=["[auth.openapi.Bearer]", f"bearer = {_toml(KEYS['admin'])}"],
    )
    _passed(run, "REST", capsys)


def test_graphql_answers_without_server_errors(
    fuzzed: ApiServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = schemathesis_run(
        f"{fuzzed.url}/graphql",
        tmp_path,
        # not_a_server_error runs as graphql_server_errors, positive_data_acceptance as
        # positive_data_acceptance_but_costs
        disabled=(
            "not_a_server_error",
            "positive_data_acceptance",
            "positive_data_acceptance_but_cursors",
            "negative_data_rejection_but_lists",
        ),
        credentials=[f"headers = {{ Authorization = {_toml('Bearer ' + KEYS['admin'])} }}"],
    )
    _passed(run, "GraphQL", capsys)
