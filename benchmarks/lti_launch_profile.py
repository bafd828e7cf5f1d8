"""Where a launch's time goes: SQL statements per launch, time in the database driver, and a cProfile.

In process (Flask's test client, no HTTP server), on a fresh PostgreSQL database, with the platform's
keys cached: the launch handler's own cost, without the network and gunicorn around it. Use it beside
`benchmarks/lti_launch.py` (which measures the round trip through `sweetspot serve`) to see what a
change buys.

    .venv/bin/python benchmarks/lti_launch_profile.py [--launches 300] [--database-url postgresql://…]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from lti_launch import CLIENT_ID, DEPLOYMENT_ID, claims, key_set_server, postgres_database  # beside this file
from sqlalchemy import event

from alignment.database import create_engine
from alignment.settings import AlignmentSettings
from alignment.tenancy import create_tenant
from lti_tool.keys import SigningKey, generate_private_key_pem
from lti_tool.registrations import PlatformDraft, add_deployment, add_registration
from sweetspot import database
from sweetspot.app import create_app
from sweetspot.logs import configure_logging
from sweetspot.runtime import bootstrap
from sweetspot.settings import Settings, normalise_database_url


def main() -> None:
    """Launch in process, count and time, print."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--launches", type=int, default=300)
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--top", type=int, default=25, help="cProfile lines to print (by internal time)")
    args = parser.parse_args()
    configure_logging("WARNING", "console")
    key = SigningKey.from_pem(generate_private_key_pem(2048))
    signing_key: Any = load_pem_private_key(key.private_pem, None)
    issuer = "https://lms.bench.test"
    with key_set_server(key) as (jwks_url, _), postgres_database(args.database_url) as url:
        url = normalise_database_url(url)
        engine = create_engine(url, AlignmentSettings())
        database.upgrade(engine)
        engine.dispose()
        runtime = bootstrap(Settings(data_dir=Path(tempfile.mkdtemp()), database_url=url, log_level="WARNING"))
        with runtime.unit_of_work() as uow:
            tenant = create_tenant(uow, "bench", "Benchmark")
            draft = PlatformDraft(issuer, CLIENT_ID, issuer + "/auth", issuer + "/token", jwks_url)
            add_deployment(uow, add_registration(uow, tenant.id, draft), DEPLOYMENT_ID)
            uow.commit()
        client = create_app(runtime).test_client()
        statements: list[str] = []
        in_driver = [0.0]

        @event.listens_for(runtime.engine, "before_cursor_execute")
        def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            statements.append(statement)
            conn.info["started"] = time.perf_counter()

        @event.listens_for(runtime.engine, "after_cursor_execute")
        def after(conn: Any, *args: Any) -> None:
            in_driver[0] += time.perf_counter() - conn.info["started"]

        def launch(n: int, profile: cProfile.Profile | None = None) -> tuple[float, int]:
            target = "http://localhost/app/"
            params = {"iss": issuer, "login_hint": "h", "target_link_uri": target, "client_id": CLIENT_ID}
            login = client.post("/lti/login", data={**params, "lti_deployment_id": DEPLOYMENT_ID})
            query = parse_qs(urlsplit(login.location).query)
            token = jwt.encode(claims(issuer, target, query["nonce"][0], n), signing_key, "RS256", {"kid": key.kid})
            statements.clear()
            started = time.perf_counter()
            if profile:
                profile.enable()
            answer = client.post("/lti/launch", data={"id_token": token, "state": query["state"][0]})
            if profile:
                profile.disable()
            elapsed = time.perf_counter() - started
            if answer.status_code != 303:
                raise RuntimeError(answer.text[:300])
            return elapsed, len(statements)

        for n in range(50):
            launch(n)
        launch(50)
        print("SQL statements of one launch (a returning learner), besides BEGIN and COMMIT:")
        for statement in statements:
            print("   ", " ".join(statement.split())[:110])
        in_driver[0] = 0.0
        timings = [launch(100 + n)[0] * 1000 for n in range(args.launches)]
        print(
            f"launch request in process: median {statistics.median(timings):.2f} ms, "
            f"mean {statistics.fmean(timings):.2f} ms; in the database driver {in_driver[0] * 1000 / args.launches:.2f}"
            " ms per launch (statements only, without BEGIN and COMMIT)"
        )
        profile = cProfile.Profile()
        for n in range(args.launches):
            launch(10_000 + n, profile)
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(args.top)
        print(out.getvalue())
        runtime.close()


if __name__ == "__main__":
    main()
