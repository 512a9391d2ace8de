"""A thin SQL layer over sqlite3 and psycopg 3: one way to run queries on both.

SQL is written once with `?` placeholders; the PostgreSQL side rewrites them to `%s` here
and nowhere else. Rows come back as dicts. Each thread has its own connection (FastAPI runs
sync handlers in a bounded thread pool), and `transaction()` gives an explicit write
transaction on either database.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

Row = dict[str, Any]
Params = Sequence[Any]


class DatabaseError(Exception):
    """The metadata database is unreachable or refused a statement."""


class IntegrityError(DatabaseError):
    """A uniqueness or foreign-key rule refused a write."""


class Database(Protocol):
    dialect: str  # "sqlite" or "postgresql"

    def query(self, sql: str, params: Params = ()) -> list[Row]: ...
    def values(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]: ...
    def one(self, sql: str, params: Params = ()) -> Row | None: ...
    def execute(self, sql: str, params: Params = ()) -> int: ...
    def executemany(self, sql: str, rows: Sequence[Params]) -> None: ...
    def transaction(self) -> contextlib.AbstractContextManager[None]: ...
    def close(self) -> None: ...


def connect(url: str) -> Database:
    """`postgresql://…` → PostgreSQL; `sqlite:///path` or a plain path → SQLite (WAL)."""
    if url.startswith(("postgresql://", "postgres://")):
        return PostgresDatabase(url)
    path = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else url
    return SqliteDatabase(Path(path))


def describe(url: str) -> str:
    """The URL without a password, for logs and messages."""
    if "://" in url and "@" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        return f"{scheme}://{creds.split(':', 1)[0]}@{host}"
    return url


class _ThreadLocalDatabase:
    """Per-thread connections, a transaction depth counter, and dict rows."""

    dialect = ""
    _tuple_rows: Any = None  # the driver's row factory giving tuples (sqlite3: None)

    def __init__(self) -> None:
        self._local = threading.local()
        self._all: list[Any] = []
        self._lock = threading.Lock()

    def _new_connection(self) -> Any:
        raise NotImplementedError

    def _conn(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._new_connection()
            self._local.conn = conn
            self._local.depth = 0
            with self._lock:
                self._all.append(conn)
        return conn

    def _sql(self, sql: str) -> str:
        return sql

    def _run(self, sql: str, params: Params) -> Any:
        raise NotImplementedError

    def query(self, sql: str, params: Params = ()) -> list[Row]:
        cur = self._run(sql, params)
        try:
            return [dict(r) for r in cur.fetchall()]
        finally:
            cur.close()

    def values(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
        """Rows as plain tuples in SELECT order: no dict per row (large reports)."""
        cur = self._run(sql, params)
        try:
            cur.row_factory = self._tuple_rows
            return list(cur.fetchall())
        finally:
            cur.close()

    def one(self, sql: str, params: Params = ()) -> Row | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    def execute(self, sql: str, params: Params = ()) -> int:
        cur = self._run(sql, params)
        try:
            return int(cur.rowcount)
        finally:
            cur.close()

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                with contextlib.suppress(Exception):
                    conn.close()
            self._all.clear()
        self._local = threading.local()


class SqliteDatabase(_ThreadLocalDatabase):
    """SQLite in WAL mode with synchronous=FULL: a confirmed write survives a power cut."""

    dialect = "sqlite"

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn()  # fail early on a bad path; sets WAL once for the file

    def _new_connection(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=30
            )
        except sqlite3.Error as exc:
            raise DatabaseError(f"cannot open SQLite database {self.path}: {exc}") from exc
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=30000")
        return conn

    def _run(self, sql: str, params: Params) -> sqlite3.Cursor:
        try:
            return self._conn().execute(sql, tuple(params))
        except sqlite3.IntegrityError as exc:
            raise IntegrityError(str(exc)) from exc
        except sqlite3.Error as exc:
            raise DatabaseError(str(exc)) from exc

    def executemany(self, sql: str, rows: Sequence[Params]) -> None:
        try:
            self._conn().executemany(sql, [tuple(r) for r in rows])
        except sqlite3.IntegrityError as exc:
            raise IntegrityError(str(exc)) from exc

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        conn = self._conn()
        if self._local.depth:
            self._local.depth += 1
            try:
                yield
            finally:
                self._local.depth -= 1
            return
        # IMMEDIATE takes the write lock up front: no deadlock upgrading a read lock.
        conn.execute("BEGIN IMMEDIATE")
        self._local.depth = 1
        try:
            yield
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")
        finally:
            self._local.depth = 0


class PostgresDatabase(_ThreadLocalDatabase):
    """PostgreSQL through psycopg 3, autocommit outside explicit transactions."""

    dialect = "postgresql"

    def __init__(self, url: str) -> None:
        super().__init__()
        import psycopg  # only needed with a PostgreSQL URL

        self._psycopg = psycopg
        self._tuple_rows = psycopg.rows.tuple_row
        self.url = url
        self._conn()

    def _new_connection(self) -> Any:
        from psycopg.rows import dict_row

        try:
            return self._psycopg.connect(
                self.url, autocommit=True, row_factory=dict_row, connect_timeout=10
            )
        except self._psycopg.Error as exc:
            raise DatabaseError(f"cannot connect to {describe(self.url)}: {exc}") from exc

    def _sql(self, sql: str) -> str:
        return sql.replace("%", "%%").replace("?", "%s")

    def _run(self, sql: str, params: Params) -> Any:
        conn = self._conn()
        if conn.closed or conn.broken:
            self._local.conn = None
            conn = self._conn()
        try:
            return conn.execute(self._sql(sql), tuple(params), prepare=True)
        except self._psycopg.errors.IntegrityError as exc:
            raise IntegrityError(str(exc)) from exc
        except self._psycopg.Error as exc:
            raise DatabaseError(str(exc)) from exc

    def executemany(self, sql: str, rows: Sequence[Params]) -> None:
        conn = self._conn()
        try:
            with conn.cursor() as cur:
                cur.executemany(self._sql(sql), [tuple(r) for r in rows])
        except self._psycopg.errors.IntegrityError as exc:
            raise IntegrityError(str(exc)) from exc

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        conn = self._conn()
        with conn.transaction():
            yield

    def copy_rows(self, table: str, columns: Sequence[str], rows: Iterator[Sequence[Any]]) -> None:
        """Bulk load with COPY (benchmarks, imports)."""
        cols = ", ".join(columns)
        with self._conn().cursor() as cur, cur.copy(f"COPY {table} ({cols}) FROM STDIN") as cp:
            for row in rows:
                cp.write_row(row)
