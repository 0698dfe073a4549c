"""Insert many new rows of a model, with their history rows, as fast as the database allows.

Importers write thousands of rows at a time. On PostgreSQL the rows go in with COPY, their ids
drawn from the table's sequence in one query; on SQLite with one INSERT run for every row
(`executemany`), inside the write lock that gives them consecutive ids. Either way the database
then copies them into their history rows. (Django's `bulk_create`, which
django-simple-history's `bulk_create_with_history` uses, builds its SQL in Python value by
value: on SQLite that cost several times the database's own work, all of it while holding the
single write lock that every other user's save waits for.) Other databases go through
`bulk_create_with_history`. Every row gets a "created" history row with the user and the
reason, as a save would give it.

`upsert` writes derived rows that keep no history (scores) the same way: COPY, then one
INSERT ... ON CONFLICT.

Rows are dicts of field attnames (`site_id`, not `site`) to values the database adapter takes
as they are (str, int, bool, date, aware datetime, None). A field left out gets its default;
`auto_now` and `auto_now_add` fields get the current time.
"""

from django.contrib.auth.models import User
from django.db import connection, models, transaction
from django.db.models import Model
from django.db.models.lookups import In
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

# Field types whose Python values the database adapter takes as they are.
PLAIN_FIELDS = {
    models.AutoField,
    models.BigAutoField,
    models.BigIntegerField,
    models.BooleanField,
    models.CharField,
    models.DateField,
    models.DateTimeField,
    models.EmailField,
    models.ForeignKey,
    models.IntegerField,
    models.PositiveIntegerField,
    models.PositiveSmallIntegerField,
    models.SlugField,
    models.SmallIntegerField,
    models.TextField,
    models.URLField,
}
# On SQLite, dates and datetimes go through Django's conversion (naive UTC text), like the others
# PLAIN_FIELDS leaves out.
SQLITE_PLAIN_FIELDS = PLAIN_FIELDS - {models.DateField, models.DateTimeField}
# The columns simple-history adds to a history table; the others mirror the model's.
HISTORY_FIELDS = {
    "history_id",
    "history_date",
    "history_change_reason",
    "history_type",
    "history_user_id",
}


def insert_with_history(
    model: type[Model], rows: list[dict], *, user: User | None, reason: str
) -> list[int]:
    """Insert `rows` as new `model` rows plus one '+' history row each; returns their ids."""
    if not rows:
        return []
    now = timezone.now()
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    names = {f.attname for f in fields}
    stamped = {
        f.attname: now
        for f in fields
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    }
    dynamic = [f for f in fields if f.has_default() and callable(f.default)]
    fixed = {f.attname: f.get_default() for f in fields if f not in dynamic}
    complete = []
    for row in rows:
        if not row.keys() <= names:
            raise ValueError(f"Not fields of the model: {', '.join(sorted(row.keys() - names))}")
        full = {**fixed, **stamped}
        for name, value in row.items():
            # Choices members (str subclasses) as plain strings for the database adapter.
            full[name] = str(value) if isinstance(value, str) and type(value) is not str else value
        for field in dynamic:
            if field.attname not in row:
                full[field.attname] = field.get_default()
        for name in stamped:
            if full[name] is None:
                full[name] = now
        complete.append(full)
    if connection.vendor == "postgresql":
        return _copy_with_history(model, fields, complete, user=user, reason=reason, now=now)
    if connection.vendor == "sqlite":
        return _executemany_with_history(model, fields, complete, user=user, reason=reason, now=now)
    objects = [model(**row) for row in complete]
    bulk_create_with_history(
        objects, model, default_user=user, default_change_reason=reason, default_date=now
    )
    return [obj.pk for obj in objects]


def insert_objects_with_history(objects: list[Model], *, user: User | None, reason: str) -> None:
    """Insert unsaved model instances (with their history rows) and give them their ids."""
    if not objects:
        return
    model = type(objects[0])
    names = [f.attname for f in model._meta.concrete_fields if not f.primary_key]
    rows = [{name: getattr(obj, name) for name in names} for obj in objects]
    ids = insert_with_history(model, rows, user=user, reason=reason)
    for obj, pk in zip(objects, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False


def _mirrored_fields(model: type[Model], fields: list) -> list:
    """The fields of the model's history table that copy the model's own."""
    history = model.history.model
    attnames = {model._meta.pk.attname, *(f.attname for f in fields)}
    mirrored = [f for f in history._meta.concrete_fields if f.attname not in HISTORY_FIELDS]
    unknown = {f.attname for f in mirrored} - attnames
    if unknown:  # the history table is out of step with the model
        raise RuntimeError(f"History of {model._meta.db_table} has unknown fields: {unknown}")
    return mirrored


def _executemany_with_history(
    model, fields, rows: list[dict], *, user: User | None, reason: str, now
) -> list[int]:
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    pk = quote(model._meta.pk.column)
    mirrored = _mirrored_fields(model, fields)
    special = [i for i, field in enumerate(fields) if type(field) not in SQLITE_PLAIN_FIELDS]
    # Each value is converted once per column: most repeat (the time stamps, the dates, None).
    prepared: dict[tuple, object] = {}
    values = []
    for row in rows:
        line = [row[field.attname] for field in fields]
        for i in special:
            value = line[i]
            try:
                key = (i, type(value), value)
                line[i] = prepared[key]
            except TypeError:  # unhashable (a JSON value)
                line[i] = fields[i].get_db_prep_save(value, connection)
            except KeyError:
                line[i] = prepared[key] = fields[i].get_db_prep_save(value, connection)
        values.append(line)
    columns = ", ".join(quote(f.column) for f in mirrored)
    # atomic: the rows all go in or none (and, on its own, it takes the write lock first).
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} ({', '.join(quote(f.column) for f in fields)}) "
            f"VALUES ({', '.join(['%s'] * len(fields))})",
            values,
        )
        # One writer at a time, each new row one past the highest id the table ever had: the
        # rows just inserted hold the ids up to the last one, one after the other.
        cursor.execute("SELECT last_insert_rowid()")
        (last,) = cursor.fetchone()
        first = last - len(rows) + 1
        cursor.execute(
            f"INSERT INTO {quote(model.history.model._meta.db_table)} ({columns}, history_date, "
            "history_change_reason, history_type, history_user_id) "
            f"SELECT {columns}, %s, %s, '+', %s FROM {table} WHERE {pk} BETWEEN %s AND %s",
            [
                connection.ops.adapt_datetimefield_value(now),
                reason,
                getattr(user, "pk", None),
                first,
                last,
            ],
        )
        if cursor.rowcount != len(rows):
            raise RuntimeError(f"Rows inserted into {table} did not get consecutive ids")
    return list(range(first, last + 1))


def _copy_with_history(
    model, fields, rows: list[dict], *, user: User | None, reason: str, now
) -> list[int]:
    table = model._meta.db_table
    pk = model._meta.pk
    history = model.history.model
    attnames = [pk.attname, *(f.attname for f in fields)]
    mirrored = _mirrored_fields(model, fields)
    history_user_id = getattr(user, "pk", None)
    # COPY goes to psycopg directly: wrap its errors as Django's (IntegrityError...).
    with connection.wrap_database_errors, connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [table, pk.column, len(rows)],
        )
        ids = [value for (value,) in cursor.fetchall()]
        for row, new_id in zip(rows, ids, strict=True):
            row[pk.attname] = new_id
        _copy(cursor, table, [pk, *fields], ([row[name] for name in attnames] for row in rows))
        # The history rows are copied from the new rows by the database itself.
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in mirrored)
        cursor.execute(
            f"INSERT INTO {quote(history._meta.db_table)} ({columns}, history_date, "
            "history_change_reason, history_type, history_user_id) "
            f"SELECT {columns}, %s, %s, '+', %s "
            f"FROM {quote(table)} WHERE {quote(pk.column)} = ANY(%s)",
            [now, reason, history_user_id, ids],
        )
    return ids


def upsert(model: type[Model], objects: list[Model], *, unique: str, update: list[str]) -> None:
    """Insert `objects`, or update `update` fields of the rows that already hold their `unique`
    value (a derived table such as scores, which keeps no history).

    On PostgreSQL the rows go in with COPY to a temporary table and one INSERT ... ON CONFLICT
    from it; Django's own upsert binds every value (JSON included) into the query text, which
    costs more than the database's work. Elsewhere it is `bulk_create(update_conflicts=True)`.
    """
    if not objects:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(
            objects, update_conflicts=True, unique_fields=[unique], update_fields=update
        )
        return
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    for obj in objects:  # as a save would: auto_now, defaults and pre-save conversions
        for field in fields:
            setattr(obj, field.attname, field.pre_save(obj, add=True))
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    column_of = {f.name: f.column for f in fields} | {f.attname: f.column for f in fields}
    updates = ", ".join(f"{quote(column_of[n])} = EXCLUDED.{quote(column_of[n])}" for n in update)
    staging_table = f"{meta.db_table}_upsert"
    staging = quote(staging_table)
    with (
        transaction.atomic(savepoint=False),
        connection.wrap_database_errors,
        connection.cursor() as cursor,
    ):
        cursor.execute(
            f"CREATE TEMPORARY TABLE {staging} AS "
            f"SELECT {columns} FROM {quote(meta.db_table)} WITH NO DATA"
        )
        _copy(
            cursor,
            staging_table,
            fields,
            ([getattr(obj, field.attname) for field in fields] for obj in objects),
        )
        cursor.execute(
            f"INSERT INTO {quote(meta.db_table)} ({columns}) SELECT {columns} FROM {staging} "
            f"ON CONFLICT ({quote(column_of[unique])}) DO UPDATE SET {updates}"
        )
        cursor.execute(f"DROP TABLE {staging}")


def _copy(cursor, table: str, fields: list, rows) -> None:
    """COPY `rows` (lists of values in `fields` order) into `table`. Fields of other types than
    PLAIN_FIELDS (countries, JSON...) are prepared as a save would prepare them."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    special = [i for i, field in enumerate(fields) if type(field) not in PLAIN_FIELDS]
    with cursor.copy(f"COPY {quote(table)} ({columns}) FROM STDIN") as copy:
        for values in rows:
            for i in special:
                values[i] = fields[i].get_db_prep_save(values[i], connection)
            copy.write_row(values)


class AnyOf(In):
    """`field IN (values)` written `field = ANY(%s)` on PostgreSQL, for long lists of values.

    One array parameter instead of one placeholder per value: Django's client-side parameter
    binding (psycopg's ClientCursor) then formats a 1,000-value lookup several times faster.
    Use it as a filter expression: `Site.objects.filter(AnyOf(F("fei_number"), feis))`.
    """

    def as_postgresql(self, compiler, connection) -> tuple[str, tuple]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = [value for value in self.rhs if value is not None]
        return f"{lhs} = ANY(%s)", (*lhs_params, values)
