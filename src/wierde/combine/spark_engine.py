"""The Spark engine: runs view SQL on Apache Spark for instances that outgrow one machine, with DuckDB's answers.

A view's SQL is written for DuckDB. sqlglot translates it, and a few rewrites make Spark compute what DuckDB
computes where the two differ (IEEE division, day-of-week numbering, date_diff counting boundaries, avg of
decimals, exact percentiles, truncating naive timestamps without a time zone). What Spark cannot run the same
way (spatial functions, table functions, ASOF joins, ordered lists ...) is refused with an error that names it.
DuckDB binds the view over the same Parquet files first, which costs only their footers: that gives the column
names and types the DuckDB engine writes, and Spark's result is renamed and cast to them before it is written.

Spark runs in this process's JVM: one session per process, started on first use (8-19 s), and a fresh child
session per run so runs never see each other's tables. No `--packages`: only the jars in the pyspark wheel.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import sqlglot
from duckdb.sqltypes import DuckDBPyType
from sqlglot import exp
from sqlglot.errors import ErrorLevel, UnsupportedError

from wierde.combine.engine import TIME_ZONE, refuse_duplicate_columns, stable_order
from wierde.combine.helpers import expand_helpers, helper_calls
from wierde.combine.spec import ViewError, duckdb_only_features, parse_sql
from wierde.errors import WierdeError
from wierde.sqltext import quote_ident, quote_literal
from wierde.store.duck import connect

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

DEFAULT_MASTER = "local[2]"
# Settings the JVM takes at start-up; only for local mode, where this process is the whole cluster.
LOCAL_CONF = {"spark.driver.memory": "2g", "spark.sql.shuffle.partitions": "4"}
STATIC_CONF = {"spark.ui.enabled": "false", "spark.ui.showConsoleProgress": "false"}
# Set on every run's session, so a cluster's spark-defaults cannot change what a view computes.
RUN_CONF = {
    "spark.sql.session.timeZone": TIME_ZONE,  # the DuckDB engine's zone: days and hours of zoned times agree
    "spark.sql.ansi.enabled": "true",  # errors, not NULLs, on bad casts and overflow, as DuckDB does
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",  # not INT96, which other readers misread
    "spark.sql.parquet.compression.codec": "zstd",  # what the DuckDB engine writes
    "spark.sql.parquet.datetimeRebaseModeInRead": "CORRECTED",
    "spark.sql.parquet.datetimeRebaseModeInWrite": "CORRECTED",
    "spark.sql.parquet.int96RebaseModeInRead": "CORRECTED",
}
# DuckDB result types (as the DuckDB engine writes them) → the Spark type to cast Spark's column to.
SPARK_TYPES = {
    "boolean": "boolean", "tinyint": "tinyint", "smallint": "smallint", "integer": "int", "bigint": "bigint",
    "hugeint": "bigint", "utinyint": "smallint", "usmallint": "int", "uinteger": "bigint", "ubigint": "decimal(20,0)",
    "float": "float", "double": "double", "varchar": "string", "uuid": "string", "blob": "binary", "date": "date",
    "timestamp": "timestamp_ntz", "timestamp_s": "timestamp_ntz", "timestamp_ms": "timestamp_ntz",
    "timestamp_ns": "timestamp_ntz", "timestamp with time zone": "timestamp",
}
DOW_PARTS = ("DOW", "DAYOFWEEK", "WEEKDAY")
EPOCH_FUNCTIONS = ("epoch", "epoch_ms", "epoch_us", "epoch_ns")
BOUNDARY_UNITS = ("YEAR", "QUARTER", "MONTH", "DAY", "HOUR", "MINUTE", "SECOND")
TIMESTAMP_KINDS = {
    exp.DataType.Type.TIMESTAMP: "naive", exp.DataType.Type.TIMESTAMPNTZ: "naive",
    exp.DataType.Type.TIMESTAMPTZ: "zoned", exp.DataType.Type.TIMESTAMPLTZ: "zoned",
}
Flavours = Mapping[str, str]  # column name → 'naive' or 'zoned'
# Truncating below a day by arithmetic: Spark's date_trunc turns a naive timestamp into a zoned one, which
# moves the hour that does not exist on the day summer time starts (02:00-03:00) by an hour.
SUB_DAY_TRUNC = {
    "HOUR": "__x__ - MAKE_DT_INTERVAL(0, 0, MINUTE(__x__), EXTRACT(SECOND FROM __x__))",
    "MINUTE": "__x__ - MAKE_DT_INTERVAL(0, 0, 0, EXTRACT(SECOND FROM __x__))",
    "SECOND": "__x__ - MAKE_DT_INTERVAL(0, 0, 0, EXTRACT(SECOND FROM __x__) - SECOND(__x__))",
}


class SparkUnsupported(ViewError):
    """The view uses something the Spark engine cannot compute the way DuckDB does; the message names it."""


class SparkFailed(WierdeError):
    """Spark could not run a view it accepted (a type it cannot read, memory, a lost cluster)."""

    title = "Spark engine failed"


@dataclass(frozen=True)
class ResultColumn:
    name: str
    duckdb_type: str
    spark_type: str | None  # what Spark's column is cast to; None keeps Spark's own type


@dataclass(frozen=True)
class SparkPlan:
    """A view ready for Spark: its Spark SQL and the columns (names, types) the result must have."""

    sql: str
    columns: tuple[ResultColumn, ...]


# --- what Spark cannot run ------------------------------------------------------------------------------------


def unportable_features(sql: str) -> list[str]:
    """Everything in a view that keeps it off Spark: DuckDB-only features plus what Spark computes differently."""
    expanded = _expanded(sql)
    found = list(duckdb_only_features(expanded))
    for node in parse_sql(expanded).walk():
        feature = _spark_blocker(node)
        if feature and feature not in found:
            found.append(feature)
    return found


def _expanded(sql: str) -> str:
    """wierde's helpers written out; SQL without them is kept as written (a sqlglot round trip can change it)."""
    return expand_helpers(sql) if helper_calls(parse_sql(sql)) else sql


def _spark_blocker(node: exp.Expr) -> str | None:
    if isinstance(node, exp.Join) and str(node.args.get("method") or "").upper() in ("ASOF", "POSITIONAL"):
        return f"{str(node.args['method']).upper()} JOIN"
    if isinstance(node, exp.ArrayAgg):
        return "list()/array_agg() (Spark leaves out NULLs and ignores the ORDER BY)"
    if _is_epoch(node):
        return "epoch functions (Spark reads naive timestamps in a time zone; use date_diff('second', a, b))"
    return None


def _is_epoch(node: exp.Expr) -> bool:
    if isinstance(node, exp.TimeToUnix):
        return True
    if isinstance(node, exp.Anonymous) and node.name.lower() in EPOCH_FUNCTIONS:
        return True
    return _date_part(node)[0] == "EPOCH"


# --- translation ----------------------------------------------------------------------------------------------


def to_spark_sql(sql: str, flavours: Flavours | None = None) -> str:
    """The view's DuckDB SQL as Spark SQL that gives the same rows, or SparkUnsupported naming what it cannot.

    `flavours` (see `timestamp_flavours`) says which input columns are naive timestamps, where that matters."""
    expanded = _expanded(sql)
    features = unportable_features(expanded)
    if features:
        raise SparkUnsupported(
            f"the Spark engine cannot run this view: it uses {'; '.join(features)}. Compute spatial relations at "
            "ingest into plain columns, rewrite those parts, or keep the view on the duckdb engine",
            features=features,
        )
    tree = _rewrite_tree(parse_sql(expanded), flavours or {})
    tree = _without_qualify_helpers(tree)
    try:
        return tree.sql(dialect="spark", unsupported_level=ErrorLevel.RAISE)
    except UnsupportedError as error:
        raise SparkUnsupported(f"the Spark engine cannot run this view: {error}", features=[str(error)]) from None


def _rewrite_tree(tree: exp.Expr, flavours: Flavours) -> exp.Expr:
    """Apply the rewrites children first, so a rewritten node is built from rewritten parts."""
    for node in reversed(list(tree.dfs())):
        new = _boundary_diff(node, flavours) if isinstance(node, exp.DateDiff) else _rule(node)
        if new is not node:
            node.replace(new)
    return tree


def _rule(node: exp.Expr) -> exp.Expr:
    for kind, rule in RULES:
        if isinstance(node, kind):
            return rule(node)
    return node


def _template(sql: str, **parts: exp.Expr) -> exp.Expr:
    """Spark SQL with `__name__` columns standing for the given expressions, in brackets."""
    tree = sqlglot.parse_one(sql, read="spark")
    for column in list(tree.find_all(exp.Column)):
        key = column.name.strip("_")
        if column.name.startswith("__") and key in parts:
            column.replace(parts[key].copy())
    return exp.Paren(this=tree) if isinstance(tree, exp.Binary) else tree


def _avg_as_double(node: exp.Expr) -> exp.Expr:
    """DuckDB averages decimals as DOUBLE; Spark as a decimal rounded to 4 more places, which is not 1e-9 equal."""
    target = node.this.expressions[0] if isinstance(node.this, exp.Distinct) else node.this
    target.replace(exp.cast(target.copy(), "DOUBLE"))
    return node


def _ieee_division(node: exp.Expr) -> exp.Expr:
    """DuckDB's `/` is always DOUBLE and gives ±inf or NaN for a zero divisor; ANSI Spark raises instead."""
    divisor = node.expression
    never_zero = isinstance(divisor, exp.Literal) and not divisor.is_string and float(divisor.name) != 0
    if never_zero or (isinstance(divisor, exp.Nullif) and divisor.expression.name == "0"):
        return exp.Div(this=exp.cast(node.this.copy(), "DOUBLE"), expression=divisor.copy())
    return _template("CASE WHEN __d__ = 0 THEN CAST(__n__ AS DOUBLE) * CAST('Infinity' AS DOUBLE) "
                     "ELSE CAST(__n__ AS DOUBLE) / __d__ END", n=node.this, d=node.expression)


def _null_on_zero(node: exp.Expr) -> exp.Expr:
    """DuckDB's `//` and `%` give NULL for a zero divisor; ANSI Spark raises."""
    kept = node.__class__(this=node.this.copy(), expression=node.expression.copy())
    return exp.Case(ifs=[exp.If(this=exp.EQ(this=node.expression.copy(), expression=exp.Literal.number(0)),
                                true=exp.Null())], default=kept)


def _date_part(node: exp.Expr) -> tuple[str | None, exp.Expr | None]:
    """(part, operand) of extract(part FROM x), date_part('part', x), dayofweek(x), weekday(x) and isodow(x)."""
    if isinstance(node, exp.Extract):
        return node.this.name.upper(), node.expression
    if isinstance(node, exp.DayOfWeekIso):
        return "ISODOW", node.this
    if isinstance(node, exp.DayOfWeek):
        return "DOW", node.this
    if isinstance(node, exp.Anonymous):
        args = node.expressions
        name = node.name.lower()
        if name in ("date_part", "datepart") and len(args) == 2 and isinstance(args[0], exp.Literal):
            return args[0].name.upper(), args[1]
        if name in ("weekday", "isodow") and len(args) == 1:
            return name.upper(), args[0]
    return None, None


def _day_parts(node: exp.Expr) -> exp.Expr:
    """Day-of-week numbering (DuckDB: Sunday 0; Spark: Sunday 1) and whole seconds (Spark keeps the fraction)."""
    part, operand = _date_part(node)
    if operand is None:
        return node
    if part in DOW_PARTS:
        return _template("DAYOFWEEK(__x__) - 1", x=operand)
    if part == "ISODOW":
        return _template("EXTRACT(DOW_ISO FROM __x__)", x=operand)
    if part == "SECOND":
        return _template("SECOND(__x__)", x=operand)
    if isinstance(node, exp.Anonymous) and node.name.lower() in ("date_part", "datepart"):
        return exp.Extract(this=exp.var(part), expression=operand.copy())
    return node


def _anonymous(node: exp.Expr) -> exp.Expr:
    """DuckDB functions sqlglot leaves as they are: date_sub counts whole units, as Spark's timestampdiff does."""
    args = node.expressions
    if node.name.lower() in ("date_sub", "datesub") and len(args) == 3 and isinstance(args[0], exp.Literal):
        return _template(f"TIMESTAMPDIFF({args[0].name.upper()}, __a__, __b__)", a=args[1], b=args[2])
    return _day_parts(node)


def _truncated(unit: str, operand: exp.Expr) -> exp.Expr:
    if unit in SUB_DAY_TRUNC:
        return _template(SUB_DAY_TRUNC[unit], x=operand)
    return exp.TimestampTrunc(this=operand.copy(), unit=exp.var(unit))


def _trunc(node: exp.Expr) -> exp.Expr:
    unit = node.text("unit").upper()
    return _truncated(unit, node.this) if unit in SUB_DAY_TRUNC else node


def _boundary_diff(node: exp.Expr, flavours: Flavours) -> exp.Expr:
    """DuckDB's date_diff counts boundaries crossed (10:59 → 11:01 is 1 hour); Spark counts whole units."""
    unit = node.text("unit").upper() or "DAY"
    if not node.args.get("date_part_boundary") or unit not in BOUNDARY_UNITS:
        return node
    end, start = _truncated(unit, node.this), _truncated(unit, node.expression)
    if unit in SUB_DAY_TRUNC and _flavour(node.this, flavours) == _flavour(node.expression, flavours) == "naive":
        # Hours between naive times are wall-clock hours: subtracting them gives an interval with no time zone,
        # where Spark's timestampdiff would first read them in the session's zone (and lose 02:00 in March).
        return _template(f"CAST(CAST(__end__ - __start__ AS INTERVAL {unit}) AS BIGINT)", end=end, start=start)
    # Zoned times (and dates) count real elapsed time below a day and calendar days above, as DuckDB does.
    return exp.DateDiff(this=end, expression=start, unit=exp.var(unit))


def _flavour(node: exp.Expr, flavours: Flavours) -> str | None:
    """'naive' or 'zoned' when the expression's timestamp kind is plain from the SQL and the input files."""
    if isinstance(node, exp.Cast):
        return TIMESTAMP_KINDS.get(node.to.this)
    if isinstance(node, exp.Column):
        return flavours.get(node.name.lower())
    if isinstance(node, exp.Paren | exp.Add | exp.Sub | exp.TimestampTrunc):
        return _flavour(node.this, flavours)
    return None


def timestamp_flavours(tables: Mapping[str, Path]) -> dict[str, str]:
    """Input columns by name that are naive or zoned timestamps in every input that has them."""
    found: dict[str, set[str]] = {}
    for path in tables.values():
        for field in pq.read_schema(path):
            if pa.types.is_timestamp(field.type):
                found.setdefault(field.name.lower(), set()).add("zoned" if field.type.tz else "naive")
    return {name: kinds.pop() for name, kinds in found.items() if len(kinds) == 1}


def _percentile_disc(value: exp.Expr, fraction: exp.Expr, desc: bool = False) -> exp.Expr:
    # Built by hand: sqlglot writes an ordered PERCENTILE_DISC for Spark as the approximate PERCENTILE_APPROX.
    order = exp.Order(expressions=[exp.Ordered(this=value.copy(), desc=desc, nulls_first=False)])
    call = exp.Anonymous(this="PERCENTILE_DISC", expressions=[fraction.copy()])
    return exp.WithinGroup(this=call, expression=order)


def _percentile_cont(value: exp.Expr, fraction: exp.Expr, desc: bool = False) -> exp.Expr:
    # Spark's PERCENTILE interpolates exactly like DuckDB's quantile_cont (sqlglot's choice is approximate).
    if desc:
        fraction = _template("1 - __q__", q=fraction)
    return exp.Quantile(this=value.copy(), quantile=fraction.copy())


def _percentiles(node: exp.Expr) -> exp.Expr:
    """quantile_cont / quantile_disc / quantile, as functions or WITHIN GROUP, as exact percentiles on Spark."""
    if isinstance(node, exp.WithinGroup) and isinstance(node.expression, exp.Order):
        keys = node.expression.expressions
        inner = node.this
        if len(keys) == 1 and isinstance(inner, exp.PercentileCont | exp.PercentileDisc):
            build = _percentile_cont if isinstance(inner, exp.PercentileCont) else _percentile_disc
            return build(keys[0].this, inner.this, bool(keys[0].args.get("desc")))
        return node
    if isinstance(node, exp.Quantile):  # DuckDB's quantile() is the discrete one
        return _percentile_disc(node.this, node.args["quantile"])
    if node.args.get("expression") is None:  # the argument of a WITHIN GROUP, rewritten with it
        return node
    fraction, desc = node.expression, False
    if isinstance(fraction, exp.Order):  # QUANTILE_CONT(v, q ORDER BY v DESC), sqlglot's form of WITHIN GROUP
        desc = bool(fraction.expressions and fraction.expressions[0].args.get("desc"))
        fraction = fraction.this
    build = _percentile_cont if isinstance(node, exp.PercentileCont) else _percentile_disc
    return build(node.this, fraction, desc)


RULES: tuple[tuple[type[exp.Expr], Callable[[exp.Expr], exp.Expr]], ...] = (
    (exp.Avg, _avg_as_double),
    (exp.IntDiv, _null_on_zero),
    (exp.Mod, _null_on_zero),
    (exp.Div, _ieee_division),
    (exp.TimestampTrunc, _trunc),
    (exp.Extract, _day_parts),
    (exp.DayOfWeek, _day_parts),
    (exp.DayOfWeekIso, _day_parts),
    (exp.Anonymous, _anonymous),
    (exp.WithinGroup, _percentiles),
    (exp.PercentileCont, _percentiles),
    (exp.PercentileDisc, _percentiles),
    (exp.Quantile, _percentiles),
)


def _without_qualify_helpers(tree: exp.Expr) -> exp.Expr:
    """Spark has no QUALIFY; sqlglot's subquery would add its `_w` column to a `SELECT *`, so leave it out."""
    from sqlglot.transforms import eliminate_qualify

    tree = tree.transform(eliminate_qualify)
    for select in tree.find_all(exp.Select):
        source = select.args.get("from_")
        inner = source.this if source is not None else None
        star = select.expressions[0] if len(select.expressions) == 1 else None
        if not (isinstance(star, exp.Star) and isinstance(inner, exp.Subquery) and inner.alias == "_t"):
            continue
        helpers = [e.alias for e in inner.this.expressions if isinstance(e, exp.Alias) and e.alias.startswith("_w")]
        if helpers and not star.args.get("except_"):
            star.set("except_", [exp.column(name) for name in helpers])
    return tree


# --- the result's columns, as the DuckDB engine writes them ---------------------------------------------------


def result_columns(sql: str, tables: Mapping[str, Path]) -> tuple[ResultColumn, ...]:
    """Bind (not run) the view in DuckDB over the input files: the names and types of its result."""
    con = connect(extensions=())
    try:
        for name, path in tables.items():
            source = f"read_parquet({quote_literal(str(path))})"
            con.execute(f"CREATE VIEW {quote_ident(name)} AS SELECT * FROM {source}")  # noqa: S608 - quoted
        relation = con.sql(sql)
        return tuple(ResultColumn(name, str(kind), _spark_type(kind))
                     for name, kind in zip(relation.columns, relation.types, strict=True))
    except duckdb.Error as error:
        raise ViewError(f"the view does not bind in DuckDB: {str(error).strip().splitlines()[0]}") from None
    finally:
        con.close()


def _spark_type(kind: DuckDBPyType) -> str | None:
    if kind.id == "decimal":
        sizes = dict(kind.children)
        return f"decimal({sizes['precision']},{sizes['scale']})"
    return SPARK_TYPES.get(kind.id)


def plan(sql: str, tables: Mapping[str, Path]) -> SparkPlan:
    """Check and translate a view for Spark without starting Spark: refusals and binding errors come fast."""
    expanded = _expanded(sql)
    # Sorted as the DuckDB engine sorts a view without ORDER BY: the same rows in the same order.
    spark_sql = to_spark_sql(stable_order(expanded), timestamp_flavours(tables))
    columns = result_columns(expanded, tables)
    refuse_duplicate_columns([c.name for c in columns])
    return SparkPlan(spark_sql, columns)


# --- the session ----------------------------------------------------------------------------------------------

_lock = threading.Lock()
_session: SparkSession | None = None


def spark_session(master: str = DEFAULT_MASTER) -> SparkSession:
    """This process's Spark session, started on first use; a second master in one process is an error."""
    global _session
    with _lock:
        if _session is not None and _session.sparkContext._jsc is None:  # stopped by someone else
            _session = None
        if _session is None:
            _session = _start(master)
        elif _session.sparkContext.master != master:
            raise SparkFailed(f"this process already runs Spark on {_session.sparkContext.master!r}; "
                              f"one process cannot also use {master!r}")
        return _session


def _start(master: str) -> SparkSession:
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise SparkFailed("the spark engine needs pyspark: install wierde with the `spark` extra") from None
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # workers use this venv, not the first python3 on PATH
    conf = dict(STATIC_CONF)
    if master.startswith("local"):
        # A loopback address: the host name may resolve to an interface that is not up. Never for a cluster,
        # whose executors must reach the driver.
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        conf.update(LOCAL_CONF)
    builder = SparkSession.builder.master(master).appName("wierde")
    for key, value in conf.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    # Spark logs every failed task and SQL error with its whole JVM stack; the engine reports them itself, in one
    # line. In local mode that log is this process's stderr, so only fatal errors go there; a cluster keeps its own.
    session.sparkContext.setLogLevel("FATAL" if master.startswith("local") else "ERROR")
    logging.getLogger("SQLQueryContextLogger").setLevel(logging.CRITICAL)
    return session


def stop_spark() -> None:
    """Stop this process's Spark session (tests, CLI exit); the next run starts a new one."""
    global _session
    with _lock:
        if _session is not None:
            _session.stop()
            _session = None


# --- the engine -----------------------------------------------------------------------------------------------


class SparkEngine:
    """Runs view SQL on Spark: local mode by default, any cluster by master URL (inputs on a shared file system)."""

    name = "spark"

    def __init__(self, master: str = DEFAULT_MASTER) -> None:
        self.master = master

    def run(self, sql: str, tables: Mapping[str, Path], out: Path) -> int:
        planned = plan(sql, tables)
        session = spark_session(self.master).newSession()
        try:
            for key, value in RUN_CONF.items():
                session.conf.set(key, value)
            for name, path in tables.items():
                session.read.parquet(path.resolve().as_uri()).createOrReplaceTempView(_spark_name(name))
            _write_one_file(_conform(session.sql(planned.sql), planned.columns), out)
        except Exception as error:  # pyspark and py4j raise many kinds; report the first line of Spark's own message
            if isinstance(error, SparkFailed) or not _is_spark_error(error):
                raise
            raise SparkFailed(f"Spark could not run the view: {_spark_message(error)}", spark_sql=planned.sql) from None
        return pq.ParquetFile(out).metadata.num_rows


def _spark_name(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _conform(frame: DataFrame, columns: Sequence[ResultColumn]) -> DataFrame:
    """Spark's result with the DuckDB engine's column names and types, in the same order."""
    from pyspark.sql import functions as F  # noqa: N812 - pyspark's own convention

    if len(frame.columns) != len(columns):
        raise SparkFailed(f"Spark's result has the columns {frame.columns}, DuckDB's {[c.name for c in columns]}")
    frame = frame.toDF(*[c.name for c in columns])
    selected = []
    for field, column in zip(frame.schema.fields, columns, strict=True):
        ref = F.col(_spark_name(column.name))
        if column.spark_type and field.dataType.simpleString() != column.spark_type:
            ref = ref.cast(column.spark_type)
        selected.append(ref.alias(column.name))
    return frame.select(*selected)


def _write_one_file(frame: DataFrame, out: Path) -> None:
    """One Parquet file at `out`: Spark writes a folder of parts, so write one part beside `out` and move it."""
    staging = out.parent / f".{out.name}.spark-{uuid.uuid4().hex}"
    try:
        # coalesce, not repartition: the last stage is the sort, so one task reads its partitions in order.
        frame.coalesce(1).write.parquet(staging.resolve().as_uri())
        parts = sorted(staging.glob("part-*.parquet"))
        if len(parts) != 1:
            raise SparkFailed(f"Spark wrote {len(parts)} result files instead of one")
        parts[0].replace(out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _is_spark_error(error: Exception) -> bool:
    from py4j.protocol import Py4JError
    from pyspark.errors import PySparkException

    return isinstance(error, PySparkException | Py4JError)


def _spark_message(error: Exception) -> str:
    java = getattr(error, "java_exception", None)
    text = str(java.toString()) if java is not None else str(error)
    return text.strip().splitlines()[0] if text.strip() else type(error).__name__
