"""Run the development LMS alone: `python -m dev_lms --directory DIR --port 9001 [--seed-demo] [--register URL]`."""

from __future__ import annotations

import argparse
import sys

from dev_lms.demo import seed_demo_cast
from dev_lms.platform import DevLms
from dev_lms.server import serve_in_thread
from dev_lms.web import create_app


def main(argv: list[str] | None = None) -> int:
    """Serve a development LMS until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m dev_lms", description=__doc__)
    parser.add_argument("--directory", default="./dev-lms", help="where its SQLite file and RSA key live")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9001)
    parser.add_argument("--seed-demo", action="store_true", help="add the demo course and people")
    parser.add_argument("--register", metavar="URL", help="register the tool at this dynamic registration URL")
    args = parser.parse_args(argv)
    lms = DevLms(args.directory, f"http://{args.host}:{args.port}")
    if args.seed_demo:
        cast = seed_demo_cast(lms)
        sys.stderr.write(f"Demo course: {lms.url(f'/courses/{cast.course.id}')}\n")
    # Seeded before it serves, so that its first page already shows the course.
    server = serve_in_thread(create_app(lms), args.port, args.host)
    sys.stderr.write(f"Development LMS on {lms.issuer} (data in {lms.directory})\n")
    if args.register:
        registration = lms.register_tool_dynamically(args.register)
        ids = f"client_id {registration.client_id}, deployment {registration.deployment_id}"
        sys.stderr.write(f"Registered: {ids}\n")
    try:
        server.thread.join()
    except KeyboardInterrupt:
        server.stop()
    lms.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
