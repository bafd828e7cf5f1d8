"""What PostgreSQL does per stored statement, counted, on a small store and on a big one.

The wall-clock benchmark (xapi_ingest.py) goes through HTTP and shares two cores with whatever else runs;
this one sends the store's own INSERT (`store.insert_at_once`'s SQL, the same parameters) straight to
PostgreSQL from one connection and counts, per statement:

- WAL records, full-page images and WAL bytes, and shared buffers hit, read, dirtied and written, from
  `EXPLAIN (ANALYZE, BUFFERS, WAL)` of every INSERT (the counts belong to that statement alone, whatever
  else the server is doing);
- blocks hit and read per table and per index, from pg_statio_user_tables and _indexes of its own database;
- the CPU of its PostgreSQL backend (from /proc, so the server must run on this machine), and the
  checkpoints the server made meanwhile.

It measures on the fresh store, COPYs a million statements in (xapi_ingest.preload: the same rows, agent
and activity keys included), and measures again. Each measurement starts right after a CHECKPOINT, so the
full-page images it counts are those of the first change of each page after a checkpoint, as in production,
where checkpoints come every few minutes (or every max_wal_size of WAL).

    .venv/bin/python benchmarks/ingest_counts.py --database wt_counts
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from xapi_ingest import StatementMaker, preload  # noqa: E402

from xapi_listener import store  # noqa: E402
from xapi_listener.store import prepare_statements  # noqa: E402

SWEETSPOT = REPO / ".venv" / "bin" / "sweetspot"
TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def _statio(connection: psycopg.Connection[Any]) -> Counter[str]:
    connection.execute("SELECT pg_stat_force_next_flush()")
    connection.execute("SELECT pg_stat_clear_snapshot()")
    counts: Counter[str] = Counter()
    for name, hit, read in connection.execute(
        "SELECT relname, heap_blks_hit, heap_blks_read FROM pg_statio_user_tables WHERE relname LIKE 'xapi_statement%'"
    ):
        counts[f"{name} hit"] += hit or 0
        counts[f"{name} read"] += read or 0
    for name, hit, read in connection.execute(
        "SELECT indexrelname, idx_blks_hit, idx_blks_read FROM pg_statio_user_indexes"
        " WHERE relname LIKE 'xapi_statement%'"
    ):
        counts[f"{name} hit"] += hit or 0
        counts[f"{name} read"] += read or 0
    return counts


def _wal_by_relation(connection: psycopg.Connection[Any], start: str, end: str, count: int) -> dict[str, Any]:
    """WAL records, full-page images and bytes per statement, by the relation a record changes (pg_walinspect)."""
    rows = connection.execute(
        """
        SELECT coalesce(c.relname, w.resource_manager), count(*),
               sum((SELECT count(*) FROM regexp_matches(w.block_ref, 'FPW', 'g'))),
               sum(w.record_length), sum(w.fpi_length)
        FROM pg_get_wal_records_info(%(start)s, %(end)s) w
        LEFT JOIN pg_class c ON c.relfilenode = (regexp_match(w.block_ref, 'rel \\d+/(\\d+)/(\\d+)'))[2]::oid
            AND (regexp_match(w.block_ref, 'rel \\d+/(\\d+)/(\\d+)'))[1]::oid
                = (SELECT oid FROM pg_database WHERE datname = current_database())
        GROUP BY 1 ORDER BY 4 DESC
        """,
        {"start": start, "end": end},
    ).fetchall()
    return {
        name: {
            "records": round(records / count, 3),
            "fpi": round(float(fpi) / count, 3),
            "bytes": round(float(length) / count),
            "of it fpi bytes": round(float(fpi_length) / count),
        }
        for name, records, fpi, length, fpi_length in rows
    }


def _checkpoints(connection: psycopg.Connection[Any]) -> int:
    row = connection.execute("SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter").fetchone()
    return int(row[0]) if row else 0


def _plan_totals(plan: dict[str, Any]) -> Counter[str]:
    keys = {
        "WAL Records": "wal records",
        "WAL FPI": "wal fpi",
        "WAL Bytes": "wal bytes",
        "Shared Hit Blocks": "shared hit",
        "Shared Read Blocks": "shared read",
        "Shared Dirtied Blocks": "shared dirtied",
        "Shared Written Blocks": "shared written",
    }
    totals: Counter[str] = Counter()
    # Each INSERT node's counts include those of the rows it reads, and an INSERT in a CTE that nobody scans
    # would be left out of the top node: sum the INSERT nodes. (The foreign-key triggers' own reads of tenants
    # and xapi_credentials are in no node.)
    nodes = [plan["Plan"]]
    while nodes:
        node = nodes.pop()
        nodes.extend(node.get("Plans", ()))
        if node["Node Type"] == "ModifyTable":
            for key, name in keys.items():
                totals[name] += node.get(key, 0)
    return totals


def measure(database_url: str, tenant_id: int, credential_id: int, count: int, batch: int, seed: int) -> dict[str, Any]:
    """Store `count` new statements in INSERTs of `batch`, after a CHECKPOINT; return the counts per statement."""
    maker = StatementMaker(seed, datetime(2026, 1, 5, 8, tzinfo=UTC))
    authority = {
        "objectType": "Agent",
        "name": "benchmark",
        "account": {"homePage": "http://127.0.0.1/xapi/", "name": "counts"},
    }
    statements = list(maker.statements(count))
    batches = []
    for i in range(0, count, batch):
        prepared = prepare_statements(
            statements[i : i + batch], stored=datetime.now(UTC), authority=authority, version="1.0.3"
        )
        rows = [store._Row.of(s) for s in prepared.statements]
        batches.append(store._insert_parameters(tenant_id, rows, prepared.stored, credential_id))
    explain = "EXPLAIN (ANALYZE, BUFFERS, WAL, TIMING OFF, FORMAT JSON) " + store._INSERT_AT_ONCE
    with psycopg.connect(database_url, autocommit=True) as connection:
        pid = connection.info.backend_pid
        connection.execute("CREATE EXTENSION IF NOT EXISTS pg_walinspect")
        connection.execute("CHECKPOINT")
        wal_start = connection.execute("SELECT pg_current_wal_insert_lsn()::text").fetchone()[0]  # type: ignore[index]
        size = connection.execute("SELECT count(*) FROM xapi_statements").fetchone()[0]  # type: ignore[index]
        statio_before = _statio(connection)
        checkpoints_before = _checkpoints(connection)
        totals: Counter[str] = Counter()
        cpu_before = _cpu_seconds(pid)
        started = time.perf_counter()
        for parameters in batches:
            plan = connection.execute(explain, parameters).fetchone()[0][0]  # type: ignore[index]
            totals += _plan_totals(plan)
        elapsed = time.perf_counter() - started
        cpu = _cpu_seconds(pid) - cpu_before
        checkpoints = _checkpoints(connection) - checkpoints_before
        statio = _statio(connection)
        statio.subtract(statio_before)
        wal_end = connection.execute("SELECT pg_current_wal_flush_lsn()::text").fetchone()[0]  # type: ignore[index]
        # The whole server's WAL in that stretch, other databases' included (they show as other names).
        try:
            wal = _wal_by_relation(connection, wal_start, wal_end, count)
        except psycopg.errors.UndefinedFile:  # a checkpoint recycled the WAL already (other writers on the server)
            wal = {}
    per_statement = {k: round(v / count, 3) for k, v in sorted(totals.items())}
    per_statement["wal bytes"] = round(totals["wal bytes"] / count)
    return {
        "store at start": size,
        "statements": count,
        "batch": batch,
        "backend cpu µs per statement": round(cpu / count * 1e6, 1),
        "seconds": round(elapsed, 1),
        "checkpoints during": checkpoints,
        "per statement": per_statement,
        "wal per statement by relation": wal,
        "blocks per statement by relation": {k: round(v / count, 3) for k, v in sorted(statio.items()) if v},
    }


def _run(command: list[str], env: dict[str, str]) -> str:
    return subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout


def setup(server: str, database: str) -> tuple[int, int]:
    """Make the database with the current schema, a tenant and a credential; return their ids."""
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {database}")
    data_dir = tempfile.mkdtemp(prefix="sweetspot-ingest-counts-")
    env = {**os.environ, "SWEETSPOT_DATA_DIR": data_dir, "DATABASE_URL": f"{server}/{database}"}
    _run([str(SWEETSPOT), "db", "upgrade"], env)
    _run([str(SWEETSPOT), "tenant", "create", "bench", "--name", "Ingest counts"], env)
    issued = json.loads(
        _run([str(SWEETSPOT), "xapi", "credentials", "create", "--tenant", "bench", "--label", "counts", "--json"], env)
    )
    with psycopg.connect(f"{server}/{database}") as connection:
        row = connection.execute(
            "SELECT c.tenant_id, c.id FROM xapi_credentials c WHERE c.key = %s", (issued["key"],)
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def main() -> None:
    """Measure on a small store, preload, measure on the big store; print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="sweetspot_bench_ingest_counts")
    parser.add_argument("--statements", type=int, default=50_000, help="Statements in each measured load.")
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--preload", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="Leave the database behind (for another look).")
    parser.add_argument("--output", type=Path, help="Also write the JSON here.")
    args = parser.parse_args()
    server = args.server.rstrip("/")
    database_url = f"{server}/{args.database}"
    tenant_id, credential_id = setup(server, args.database)
    report: dict[str, Any] = {"started": datetime.now(UTC).isoformat(timespec="seconds"), "loads": []}
    try:
        # A first load so that the measured one does not start from empty tables.
        measure(database_url, tenant_id, credential_id, 20_000, args.batch, seed=1)
        report["loads"].append(measure(database_url, tenant_id, credential_id, args.statements, args.batch, seed=2))
        print(json.dumps(report["loads"][-1], indent=1), flush=True)
        if args.preload:
            report["preload seconds"] = round(preload(database_url, tenant_id, credential_id, args.preload, seed=7), 1)
            report["loads"].append(measure(database_url, tenant_id, credential_id, args.statements, args.batch, seed=3))
            print(json.dumps(report["loads"][-1], indent=1), flush=True)
        with psycopg.connect(database_url) as connection:
            report["sizes"] = dict(
                connection.execute(
                    "SELECT c.relname, pg_size_pretty(pg_relation_size(c.oid)) FROM pg_class c"
                    " JOIN pg_namespace n ON n.oid = c.relnamespace"
                    " WHERE n.nspname = 'public' AND c.relname LIKE '%xapi_statement%' ORDER BY c.relname"
                ).fetchall()
            )
    finally:
        if not args.keep:
            with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {args.database} WITH (FORCE)")
    print(json.dumps(report, indent=1))
    if args.output:
        args.output.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
