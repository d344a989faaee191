"""`field__prefix="张"`: a text column that starts with a value, answered from an index on both
databases (a search box at a million members must not scan the table).

- SQLite uses no ordinary index for LIKE 'x%' (`__startswith`; its LIKE is case-insensitive
  for ASCII, so the planner cannot turn it into a range), but it does for a range: the lookup
  becomes `col >= x AND col < x || U+10FFFF`. SQLite compares text byte-wise in UTF-8, so every
  value that starts with x lies in that range (U+10FFFF is the last code point: CJK names
  beyond the BMP, such as 𠀾, stay inside).
- PostgreSQL: `col LIKE 'x%'` (the value escaped), which a `varchar_pattern_ops` index answers
  whatever the database's collation; a range would depend on a locale's order, so it is added
  only under a byte-wise collation (C), where an ordinary index then reads the prefix in order.
"""

from __future__ import annotations

from django.db.models import CharField, Func, Lookup

LAST_CODE_POINT = "\U0010ffff"


@CharField.register_lookup
class Prefix(Lookup):
    lookup_name = "prefix"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        # PostgreSQL and any other backend: LIKE with the value's wildcards escaped.
        lhs, lhs_params = self.process_lhs(compiler, connection)
        pattern = connection.ops.prep_for_like_query(str(self.rhs)) + "%"
        if not bytewise(connection):
            return f"{lhs} LIKE %s", [*lhs_params, pattern]
        # Under a byte-wise collation the range is the same rows, and an ordinary index reads
        # it in order (a name search's page: the name index from the prefix on, not from the
        # start of the alphabet, which PostgreSQL walked for 225,000 names to reach 张).
        value = str(self.rhs)
        return f"({lhs} LIKE %s AND {lhs} >= %s AND {lhs} < %s)", [
            *lhs_params,
            pattern,
            *lhs_params,
            value,
            *lhs_params,
            value + LAST_CODE_POINT,
        ]

    def as_sqlite(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        value = str(self.rhs)
        return f"({lhs} >= %s AND {lhs} < %s)", [
            *lhs_params,
            value,
            *lhs_params,
            value + LAST_CODE_POINT,
        ]


BYTEWISE_COLLATIONS = {"C", "POSIX", "C.UTF-8", "C.utf8", "ucs_basic"}


def bytewise(connection) -> bool:
    """The PostgreSQL database compares text byte-wise (its collation is C), so that a prefix
    is a range; asked once per connection."""
    if connection.vendor != "postgresql":
        return False
    known = getattr(connection, "_heli_bytewise", None)
    if known is None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT datcollate FROM pg_database WHERE datname = current_database()")
            known = cursor.fetchone()[0] in BYTEWISE_COLLATIONS
        connection._heli_bytewise = known
    return known


class Unindexed(Func):
    """A column as SQLite's planner must not drive a query by (`+col`, SQLite's documented way
    to keep an index out of a term), as is elsewhere. For a condition that holds for most rows
    (a broad scope), where an index on it would be read whole and the rows then sorted, and
    the index of the ORDER BY, read in order and stopped at the page's end, is the right one.
    PostgreSQL's planner judges that from its statistics."""

    template = "+%(expressions)s"
    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return compiler.compile(self.source_expressions[0])
