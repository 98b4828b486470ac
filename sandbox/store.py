"""SQLite persistence: one connection, one lock, one transaction per state change.

All access goes through :meth:`Store.tx`, which holds a process-wide lock around a
``BEGIN IMMEDIATE`` transaction. SQLite serialises writers anyway; doing it in Python as well
makes read-modify-write sequences (e.g. two concurrent association PUTs on one IP) atomic
without retry loops, and lets ``:memory:`` databases be shared by every request thread.
WAL with ``synchronous=NORMAL`` survives a killed process (only an OS crash can lose the
last commits), which is what "a restart loses nothing" needs.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS regions (
    name TEXT PRIMARY KEY, position INTEGER NOT NULL, zones TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tenants (id TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY, user_id TEXT NOT NULL, tenant_id TEXT NOT NULL,
    api_key TEXT, password TEXT, role TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
    id TEXT PRIMARY KEY, user_name TEXT NOT NULL, tenant_id TEXT NOT NULL,
    expires REAL NOT NULL, method TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS networks (
    region TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL,
    tenant_id TEXT, PRIMARY KEY (region, id));
CREATE TABLE IF NOT EXISTS subnets (
    id TEXT PRIMARY KEY, region TEXT NOT NULL, network_id TEXT NOT NULL,
    version INTEGER NOT NULL, cidr TEXT NOT NULL, position INTEGER NOT NULL,
    next_host INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS servers (
    id TEXT PRIMARY KEY, region TEXT NOT NULL, tenant_id TEXT NOT NULL, name TEXT NOT NULL,
    zone TEXT NOT NULL, status TEXT NOT NULL, created TEXT NOT NULL, image TEXT,
    flavor TEXT, metadata TEXT NOT NULL DEFAULT '{}');
CREATE TABLE IF NOT EXISTS ports (
    id TEXT PRIMARY KEY, region TEXT NOT NULL, tenant_id TEXT NOT NULL,
    network_id TEXT NOT NULL, device_id TEXT NOT NULL, segment TEXT,
    mac TEXT NOT NULL, name TEXT NOT NULL, created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ip_addresses (
    id TEXT PRIMARY KEY, region TEXT NOT NULL, tenant_id TEXT NOT NULL,
    network_id TEXT NOT NULL, subnet_id TEXT NOT NULL, address TEXT NOT NULL,
    version INTEGER NOT NULL, type TEXT NOT NULL, deallocated INTEGER NOT NULL DEFAULT 0,
    created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS port_ips (
    ip_id TEXT NOT NULL, port_id TEXT NOT NULL, enabled INTEGER NOT NULL,
    service TEXT NOT NULL DEFAULT 'none', PRIMARY KEY (ip_id, port_id));
CREATE INDEX IF NOT EXISTS ports_device ON ports (device_id);
CREATE INDEX IF NOT EXISTS ports_owner ON ports (region, tenant_id);
CREATE INDEX IF NOT EXISTS ips_owner ON ip_addresses (region, tenant_id, deallocated);
CREATE INDEX IF NOT EXISTS ips_address ON ip_addresses (subnet_id, address, deallocated);
CREATE INDEX IF NOT EXISTS port_ips_port ON port_ips (port_id);
CREATE INDEX IF NOT EXISTS servers_owner ON servers (region, tenant_id);
"""

TABLES_SQL = "SELECT name FROM sqlite_master WHERE type = 'table'"

#: Tables emptied by a reset (tokens survive so clients need not re-authenticate).
WORLD_TABLES = (
    "regions",
    "tenants",
    "users",
    "networks",
    "subnets",
    "servers",
    "ports",
    "ip_addresses",
    "port_ips",
)


class DatabaseUnusable(Exception):
    """The database cannot serve: the message is one line naming the file and what to do."""


def _explain(path: str, error: sqlite3.Error) -> str:
    text = str(error)
    if "readonly" in text or "read-only" in text or "unable to open" in text:
        return (
            f"cannot write to the database {path} ({text}): check that you may write the file "
            "and its directory, or use another --db"
        )
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return (
            f"the database {path} is damaged (SQLite: {text}); move it away (keep it if you "
            "need its data) or start with another --db"
        )
    return f"cannot use the database {path}: {text}"


class Store:
    """The sandbox database. ``path`` is a file path or ``:memory:``.

    Opening checks what would otherwise fail request by request: the file must be SQLite,
    intact, ours (no foreign tables) and writable. Raises `DatabaseUnusable` otherwise.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.RLock()
        try:
            self._conn = sqlite3.connect(
                path, check_same_thread=False, isolation_level=None, timeout=30.0
            )
        except sqlite3.Error as e:
            raise DatabaseUnusable(_explain(path, e)) from None
        try:
            self._open()
        except sqlite3.Error as e:
            self._conn.close()
            raise DatabaseUnusable(_explain(path, e)) from None
        except DatabaseUnusable:
            self._conn.close()
            raise

    def _open(self) -> None:
        self._conn.row_factory = sqlite3.Row
        tables = {row[0] for row in self._conn.execute(TABLES_SQL)}
        if tables and "meta" not in tables:
            raise DatabaseUnusable(
                f"{self.path} is an SQLite database but not a sandbox's (tables: "
                f"{', '.join(sorted(tables)[:5])}); use another --db"
            )
        if self.path != ":memory:":
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            problems = [row[0] for row in self._conn.execute("PRAGMA quick_check(3)")]
            if problems != ["ok"]:
                raise sqlite3.DatabaseError(f"database disk image is malformed: {problems[0]}")
        self._conn.executescript(SCHEMA)
        # A write now, so a read-only file is refused at start, not with a 500 per request.
        with self.tx() as db:
            set_meta(db, "opened_at", time.time())

    def wipe_all(self) -> None:
        """Forget the world, the tokens and the seed (``--reset``); the schema stays."""
        with self.tx() as db:
            for (table,) in db.execute(TABLES_SQL).fetchall():
                db.execute(f'DELETE FROM "{table}"')

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """One atomic transaction; rolled back if the body raises."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def get_meta(self, key: str) -> Any:
        """A JSON value stored under ``key`` in the meta table, or ``None``."""
        with self.tx() as db:
            row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else json.loads(row["value"])

    def close(self) -> None:
        """Checkpoint the WAL and close the connection."""
        with self._lock:
            if self.path != ":memory:":
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._conn.close()


def set_meta(db: sqlite3.Connection, key: str, value: Any) -> None:
    """Store a JSON value under ``key`` (inside the caller's transaction)."""
    db.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, json.dumps(value)),
    )


def get_meta(db: sqlite3.Connection, key: str) -> Any:
    """A JSON value from the meta table inside the caller's transaction."""
    row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else json.loads(row["value"])
