"""Serving a WSGI app on a local port in a background thread (the demo's platform and the tests' servers)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server


@dataclass
class RunningServer:
    """A threaded werkzeug server running in the background; `stop()` shuts it down."""

    server: BaseWSGIServer
    thread: threading.Thread

    @property
    def port(self) -> int:
        """The port it listens on (useful when started on port 0)."""
        return int(self.server.socket.getsockname()[1])

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


def serve_in_thread(app: Any, port: int = 0, host: str = "127.0.0.1") -> RunningServer:
    """Serve `app` on host:port (0 picks a free port) from a daemon thread, one thread per request."""
    server = make_server(host, port, app, threaded=True)
    # A short poll interval lets `stop()` return promptly.
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"wsgi-{host}:{port}", daemon=True
    )
    thread.start()
    return RunningServer(server, thread)
