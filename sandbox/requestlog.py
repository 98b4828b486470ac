"""The request log (``/__sandbox__/requests``) and the WSGI layer that fills it.

The WSGI layer also strips Neutron's optional ``.json`` suffix and carries out
"drop the connection" decisions: werkzeug hands the raw socket to the application as
``environ["werkzeug.socket"]``, and treats a ``ConnectionError`` raised by the application
as a dropped client, so the handler thread ends quietly without writing a response.
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

DROP_KEY = "sandbox.drop"
TENANT_KEY = "sandbox.tenant"
FAULT_KEY = "sandbox.fault"
ADMIN_PREFIX = "/__sandbox__"


class RequestLog:
    """A bounded, thread-safe list of handled API requests, oldest first."""

    def __init__(self, limit: int = 20_000) -> None:
        self._entries: deque[dict[str, Any]] = deque(maxlen=limit)
        self._seq = 0
        self._lock = threading.Lock()

    def add(self, entry: dict[str, Any]) -> dict[str, Any]:
        """Append an entry, numbering it."""
        with self._lock:
            self._seq += 1
            entry = {"seq": self._seq, **entry}
            self._entries.append(entry)
        return entry

    def entries(self, since: int = 0) -> list[dict[str, Any]]:
        """Entries with ``seq > since``."""
        with self._lock:
            return [e for e in self._entries if e["seq"] > since]

    def clear(self) -> None:
        """Forget every entry (numbering continues)."""
        with self._lock:
            self._entries.clear()


_echo_lock = threading.Lock()


def echo_line(line: str) -> None:
    """Write `line` to stderr whole, even with many request threads writing at once.

    ``print`` writes the text and the newline separately, so two threads could merge their
    lines; one ``write`` of the full line under a lock cannot.
    """
    with _echo_lock:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()


def _strip_json_suffix(environ: dict[str, Any]) -> None:
    path: str = environ.get("PATH_INFO", "")
    parts = path.split("/")
    if len(parts) > 2 and parts[2] == "networks" and path.endswith(".json"):
        environ["PATH_INFO"] = path[: -len(".json")]


def drop_connection(environ: dict[str, Any]) -> None:
    """Close the client's socket without an answer and end the request quietly."""
    sock = environ.get("werkzeug.socket")
    if sock is not None:
        with contextlib.suppress(OSError):  # the client may already be gone
            sock.shutdown(socket.SHUT_RDWR)
    raise ConnectionAbortedError("sandbox dropped the connection on purpose")


class RecordingMiddleware:
    """Wraps the Flask app: path normalisation, timing, the request log and drops."""

    def __init__(self, app: Callable[..., Iterable[bytes]], log: RequestLog, echo: bool) -> None:
        self.app = app
        self.log = log
        self.echo = echo

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        _strip_json_suffix(environ)
        started = time.time()
        clock = time.perf_counter()
        status: list[str] = []

        def recording_start_response(
            s: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            status.append(s)
            return start_response(s, headers, exc_info)

        result = self.app(environ, recording_start_response)
        path = environ.get("PATH_INFO", "")
        if path.startswith(ADMIN_PREFIX):
            return result
        dropped = bool(environ.get(DROP_KEY))
        code = None if dropped or not status else int(status[-1].split()[0])
        entry = self.log.add(
            {
                "method": environ.get("REQUEST_METHOD", ""),
                "path": path,
                "query": environ.get("QUERY_STRING", ""),
                "status": code,
                "started": datetime.fromtimestamp(started, UTC).isoformat(timespec="milliseconds"),
                "duration_ms": round((time.perf_counter() - clock) * 1000, 3),
                "tenant": environ.get(TENANT_KEY),
                "fault": environ.get(FAULT_KEY),
            }
        )
        if self.echo:
            shown = "dropped" if dropped else str(code)
            echo_line(
                f"rackspace-sandbox: {entry['started']} {entry['method']} {path} {shown}"
                f" {entry['duration_ms']:.1f}ms tenant={entry['tenant'] or '-'}"
            )
        if dropped:
            if hasattr(result, "close"):
                result.close()
            drop_connection(environ)
        return result
