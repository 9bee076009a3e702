"""``DFF.CONN(id)`` of a SQL connector (mysql, postgresql): DataFlux Func's helper methods.

Rows come back as dicts; ``sql_params`` is one list filling ``?`` (a value, escaped) and ``??``
(an identifier, as is) — DFF's ``format_sql``; ``non_query`` returns the affected row count;
``start_trans`` gives a handle for ``trans_query`` / ``trans_non_query`` / ``commit`` /
``rollback``. The driver is imported when the helper is made (the fork server does not import
it ahead), and the pool (DBUtils ``PooledDB``, as in DFF) lives for the run only.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable
from typing import Any

try:
    from sdk import dff_helpers
except ImportError:
    from webapp.sdk import dff_helpers

POOL_SIZE = 5  # connections a run may hold per connector (DFF.THREAD's default pool size)


class HexStr(str):
    """A value written into MySQL SQL as ``X'<hex>'`` (DFF's HexStr)."""


def mysql_literal(value: Any) -> str:
    if isinstance(value, HexStr):
        return "X'" + value.encode().hex() + "'"
    if isinstance(value, bytes | bytearray):
        return "X'" + bytes(value).hex() + "'"
    return dff_helpers.sql_literal(value)


def postgresql_literal(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return "'\\x" + bytes(value).hex() + "'::bytea"
    text = dff_helpers.sql_literal(value)
    return "E" + text if text.startswith("'") else text  # escapes are backslashes: E'...'


class SQLHelper:
    """Shared by the SQL types: a pool, queries, transactions."""

    literal: Callable[[Any], str] = staticmethod(dff_helpers.sql_literal)
    version_sql = "SELECT VERSION()"

    def __init__(self, **config: Any) -> None:
        self.config = config
        self._pool = None

    # -- subclasses -------------------------------------------------------------------------
    def _creator(self) -> tuple[Any, dict[str, Any]]:
        raise NotImplementedError

    def _rows(self, cursor) -> list[dict[str, Any]]:
        columns = [c[0] for c in cursor.description or ()]
        return [dict(zip(columns, row, strict=False)) for row in cursor.fetchall()]

    # -- pool --------------------------------------------------------------------------------
    def _connection(self):
        if self._pool is None:
            from dbutils.pooled_db import PooledDB

            creator, kwargs = self._creator()
            self._pool = PooledDB(
                creator, maxconnections=POOL_SIZE, blocking=True, ping=1, **kwargs
            )
        return self._pool.connection()

    def close(self) -> None:
        """Close the run's connections (the platform does this when the run ends)."""
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    # -- DFF's methods -----------------------------------------------------------------------
    def format_sql(self, sql: str, sql_params: Any = None, pretty: bool = False) -> str:
        """The SQL with ``?`` and ``??`` filled from ``sql_params``, as this database writes
        values.

        Example:
            sql = helper.format_sql("SELECT * FROM t WHERE id = ?", [1])
        """
        return dff_helpers.format_sql(sql, sql_params, pretty, literal=type(self).literal)

    def check(self) -> dict[str, Any]:
        """Connect and ask the server's version: ``{"version": "..."}``; raises when it cannot.

        Example:
            helper.check()
        """
        rows = self.query(self.version_sql)
        return {"version": str(next(iter(rows[0].values()))) if rows else None}

    def _execute(self, connection, sql: str, sql_params: Any, fetch: bool) -> Any:
        cursor = connection.cursor()
        try:
            cursor.execute(self.format_sql(sql, sql_params))
            if fetch:
                return self._rows(cursor) if cursor.description else []
            return cursor.rowcount
        finally:
            cursor.close()

    def query(self, sql: str, sql_params: list | None = None) -> list[dict[str, Any]]:
        """Run a query; its rows as a list of dicts.

        Example:
            rows = DFF.CONN("mysql1").query("SELECT * FROM hosts WHERE region = ?", ["cn"])
        """
        connection = self._connection()
        try:
            rows = self._execute(connection, sql, sql_params, fetch=True)
            connection.commit()
            return rows
        finally:
            connection.close()  # back to the pool

    def non_query(self, sql: str, sql_params: list | None = None) -> int:
        """Run a statement (INSERT, UPDATE, DELETE...), committed; the affected row count.

        Example:
            n = DFF.CONN("mysql1").non_query("DELETE FROM t WHERE id = ?", [1])
        """
        connection = self._connection()
        try:
            count = self._execute(connection, sql, sql_params, fetch=False)
            connection.commit()
            return count
        except BaseException:
            connection.rollback()
            raise
        finally:
            connection.close()

    query_raw = query
    non_query_raw = non_query

    def start_trans(self) -> Any:
        """Begin a transaction: a handle for trans_query, trans_non_query, commit, rollback.

        Example:
            trans = helper.start_trans()
            helper.trans_non_query(trans, "UPDATE t SET n = n + 1")
            helper.commit(trans)
        """
        connection = self._connection()
        if hasattr(connection, "begin"):
            connection.begin()
        return connection

    def trans_query(self, trans: Any, sql: str, sql_params: list | None = None) -> list[dict]:
        """A query inside a transaction: its rows as dicts.

        Example:
            rows = helper.trans_query(trans, "SELECT * FROM t FOR UPDATE")
        """
        return self._execute(trans, sql, sql_params, fetch=True)

    def trans_non_query(self, trans: Any, sql: str, sql_params: list | None = None) -> int:
        """A statement inside a transaction: the affected row count.

        Example:
            helper.trans_non_query(trans, "INSERT INTO t (n) VALUES (?)", [1])
        """
        return self._execute(trans, sql, sql_params, fetch=False)

    def commit(self, trans: Any) -> None:
        """Commit a transaction from start_trans.

        Example:
            helper.commit(trans)
        """
        try:
            trans.commit()
        finally:
            trans.close()

    def rollback(self, trans: Any) -> None:
        """Roll back a transaction from start_trans.

        Example:
            helper.rollback(trans)
        """
        try:
            trans.rollback()
        finally:
            trans.close()


class MySQLHelper(SQLHelper):
    """``DFF.CONN`` of a mysql connector (PyMySQL; MariaDB too). Columns named ``...JSON`` come
    back parsed; int/float columns named ``...Time`` as arrow times in the platform's TIMEZONE,
    as in DataFlux Func."""

    literal = staticmethod(mysql_literal)

    def __init__(self, timezone: Callable[[], str | None] | None = None, **config: Any) -> None:
        super().__init__(**config)
        self._timezone = timezone

    def _creator(self):
        import pymysql
        import pymysql.constants.CLIENT

        config = self.config
        kwargs = {
            "host": config.get("host", "127.0.0.1"),
            "port": int(config.get("port", 3306)),
            "user": config.get("user") or config.get("username"),
            "password": config.get("password") or "",
            "charset": config.get("charset", "utf8mb4"),
            "connect_timeout": 10,
            "client_flag": pymysql.constants.CLIENT.MULTI_STATEMENTS,
        }
        if config.get("database"):
            kwargs["database"] = config["database"]
        return pymysql, kwargs

    def _rows(self, cursor) -> list[dict[str, Any]]:
        rows = super()._rows(cursor)
        if not rows:
            return rows
        json_columns = [c for c in rows[0] if c.endswith("JSON")]
        time_columns = [c for c in rows[0] if c.endswith("Time")]
        zone = None
        for row in rows:
            for column in json_columns:
                if isinstance(row[column], str | bytes):
                    with contextlib.suppress(ValueError):
                        row[column] = json.loads(row[column])
            for column in time_columns:
                value = row[column]
                if isinstance(value, int | float) and not isinstance(value, bool):
                    import arrow

                    if zone is None:
                        zone = (self._timezone() if self._timezone else None) or "Asia/Shanghai"
                    row[column] = arrow.get(value).to(zone)
        return rows

    def tables(self) -> list[str]:
        """The database's table names.

        Example:
            names = DFF.CONN("mysql1").tables()
        """
        return [next(iter(row.values())) for row in self.query("SHOW TABLES")]

    def table_status(self) -> list[dict[str, Any]]:
        """``SHOW TABLE STATUS``: a dict per table (rows, sizes, engine...).

        Example:
            status = DFF.CONN("mysql1").table_status()
        """
        return self.query("SHOW TABLE STATUS")

    def clear_table(self, table: str) -> None:
        """Empty a table (TRUNCATE).

        Example:
            DFF.CONN("mysql1").clear_table("events")
        """
        self.non_query("TRUNCATE ??", [table])


class PostgreSQLHelper(SQLHelper):
    """``DFF.CONN`` of a postgresql connector (psycopg 3): rows as dicts, strings written as
    ``E'...'`` literals."""

    literal = staticmethod(postgresql_literal)
    version_sql = "SELECT version() AS version"

    def _creator(self):
        import psycopg

        config = self.config
        params = {
            "host": config.get("host", "127.0.0.1"),
            "port": int(config.get("port", 5432)),
            "user": config.get("user") or config.get("username"),
            "password": config.get("password") or "",
            "dbname": config.get("database") or config.get("dbname") or "postgres",
            "client_encoding": config.get("charset") or config.get("encoding") or "utf8",
            "connect_timeout": 10,
        }

        def connect(**_ignored):
            return psycopg.connect(**params)

        return connect, {}

    def _execute(self, connection, sql: str, sql_params: Any, fetch: bool) -> Any:
        cursor = connection.cursor()
        try:
            # psycopg reads % as a placeholder only when given parameters: none are given.
            cursor.execute(self.format_sql(sql, sql_params).encode())
            if fetch:
                return self._rows(cursor) if cursor.description else []
            return cursor.rowcount
        finally:
            cursor.close()

    def tables(self) -> list[str]:
        """The table names of the current schema.

        Example:
            names = DFF.CONN("pg1").tables()
        """
        rows = self.query(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
        )
        return [row["tablename"] for row in rows]

    def clear_table(self, table: str) -> None:
        """Empty a table (TRUNCATE).

        Example:
            DFF.CONN("pg1").clear_table("events")
        """
        self.non_query('TRUNCATE "' + table.replace('"', '""') + '"')


_CLICKHOUSE_ESCAPES = {"\\": "\\\\", "'": "\\'", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\0": "\\0"}


def clickhouse_literal(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"  # older servers have no TRUE / FALSE
    if isinstance(value, bytes | bytearray):
        return "unhex('" + bytes(value).hex() + "')"
    if value is None or isinstance(value, int | float):
        return dff_helpers.sql_literal(value)
    text = value if isinstance(value, str) else str(value)
    return "'" + "".join(_CLICKHOUSE_ESCAPES.get(c, c) for c in text) + "'"


_VALUES_PLACEHOLDER = re.compile(r"^\s*INSERT\s.*\sVALUES\s*\?\s*;?\s*$", re.I | re.S)


class ClickHouseHelper(SQLHelper):
    """``DFF.CONN`` of a clickhouse connector (clickhouse-driver's DB-API, the native protocol
    on port 9000): rows as dicts, ``?`` filled as ClickHouse writes values. ClickHouse has no
    transactions, so ``start_trans`` says so.

    ``INSERT INTO t (a, b) VALUES ?`` with a list of rows as the last parameter sends the rows
    as native data blocks (any server version, typed as the columns are: a DateTime takes a
    datetime or a Unix time); literal ``VALUES (...)`` text is the server's to parse, which
    servers older than 20.x (Debian 12 ships 18.16) do not do over this protocol.
    """

    literal = staticmethod(clickhouse_literal)
    version_sql = "SELECT version() AS version"

    def _creator(self):
        from clickhouse_driver import dbapi

        config = self.config
        params = {
            "host": config.get("host", "127.0.0.1"),
            "port": int(config.get("port", 9000)),
            "user": config.get("user") or config.get("username") or "default",
            "password": config.get("password") or "",
            "database": config.get("database") or "default",
            "connect_timeout": 10,
            "send_receive_timeout": 300,
        }

        def connect(**_ignored):
            return dbapi.connect(**params)

        return connect, {}

    def _execute(self, connection, sql: str, sql_params: Any, fetch: bool) -> Any:
        try:
            rows = sql_params[-1] if isinstance(sql_params, list | tuple) and sql_params else None
            if not fetch and _VALUES_PLACEHOLDER.match(sql) and isinstance(rows, list | tuple):
                return self._insert_rows(connection, sql, sql_params[:-1], rows)
            return super()._execute(connection, sql, sql_params, fetch)
        except Exception as error:
            # The server's message carries its C++ stack trace: keep the message.
            text = str(error)
            if "Stack trace:" in text:
                error.args = (text.split("Stack trace:")[0].strip(),)
            raise

    def _insert_rows(self, connection, sql: str, head_params: Any, rows: Any) -> int:
        head = sql.rstrip().rstrip(";").rstrip()[:-1]  # "INSERT ... VALUES"
        cursor = connection.cursor()
        try:
            cursor.executemany(self.format_sql(head, list(head_params)), list(rows))
        except (AttributeError, TypeError, ValueError) as error:
            raise TypeError(
                "INSERT ... VALUES ? sends the rows as typed data: each value must suit its "
                f"column (a DateTime takes a datetime or a Unix time): {error}"
            ) from None
        finally:
            cursor.close()
        return cursor.rowcount

    def start_trans(self) -> Any:
        """Not available: ClickHouse has no transactions."""
        raise NotImplementedError("ClickHouse has no transactions (start_trans)")

    def tables(self) -> list[str]:
        """The current database's table names.

        Example:
            names = DFF.CONN("ch1").tables()
        """
        return [row["name"] for row in self.query("SHOW TABLES")]
