"""Country names, translated once per language instead of once per row.

django-countries translates a name on every lookup (`Country.name`, `countries.name`): about
60 µs, which a list of 50 rows, a filter's options and the matrix pay many times per page.
"""

from collections.abc import Iterable
from functools import cache

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models.expressions import RawSQL
from django.utils.choices import BaseChoiceIterator
from django.utils.translation import get_language
from django_countries import countries


@cache
def _names(language: str | None) -> dict[str, str]:
    # Iterating the registry translates every name under the active language, sorted by name.
    return {code: str(name) for code, name in countries}


def country_name(code: object) -> str:
    """The name of a country (a code or a `Country`) in the active language; "" if unknown."""
    return _names(get_language()).get(str(code or ""), "")


def country_choices() -> list[tuple[str, str]]:
    """Every country as (code, name), by name."""
    return list(_names(get_language()).items())


class CountryChoices(BaseChoiceIterator):
    """The choices of a country filter: every country by name, in the language of the request.

    Not a callable, so the API schema lists the codes; and a filter set copies its fields for
    each search, which for a list of 250 choices cost more than the search's own queries.
    """

    def __iter__(self):
        return iter(_names(get_language()).items())


def country_options(codes: Iterable[str]) -> list[tuple[str, str]]:
    """(code, name) of the given countries, by name: the options of a filter of what is present."""
    present = set(codes)
    return [(code, name) for code, name in _names(get_language()).items() if code in present]


def countries_in(model, field: str = "country", *, within=None) -> list[str]:
    """The countries an indexed country column holds, by a skip scan of its index.

    `SELECT DISTINCT` reads every row (5 ms over 25,000 sites, on every page with a country
    filter); this asks the index for the next country after the last, once per country. With
    `within` (a queryset of the model), only the countries of its rows: a first row is looked
    up per country.
    """
    table = connection.ops.quote_name(model._meta.db_table)
    column = connection.ops.quote_name(model._meta.get_field(field).column)
    condition, params = "", ()
    if within is not None:
        first = within.filter(**{field: RawSQL("present.code", ())}).order_by().values("pk")[:1]
        try:
            sql, params = first.query.sql_with_params()
        except EmptyResultSet:  # within is .none()
            return []
        condition = f" AND ({sql}) IS NOT NULL"
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH RECURSIVE present(code) AS ("
            f" SELECT MIN({column}) FROM {table}"
            f" UNION ALL SELECT (SELECT MIN({column}) FROM {table} WHERE {column} > present.code)"
            f" FROM present WHERE present.code IS NOT NULL"
            f") SELECT code FROM present WHERE code IS NOT NULL AND code <> ''{condition}",
            params,
        )
        return [code for (code,) in cursor.fetchall()]
