"""What a row of an FDA export becomes: typed records, and the helpers that read its values."""

import datetime as dt
from dataclasses import dataclass, field

from django_countries import countries

from vendors.models import Agency, ProblemReason, citation_key, normalize_fei


class RowError(Exception):
    """This row is skipped; the message says why, `reason` groups it on the import's report."""

    def __init__(
        self,
        message: str,
        *,
        reason: str = ProblemReason.OTHER,
        field: str = "",
        value: object = "",
    ) -> None:
        super().__init__(message)
        self.reason, self.field, self.value = reason, field, "" if value is None else str(value)


def empty(column: str) -> RowError:
    return RowError(f"{column} is empty", reason=ProblemReason.EMPTY, field=column)


# ---------------------------------------------------------------- value helpers


def text(value, limit: int | None = None) -> str:
    """Cell → stripped text; '-' (the Dashboard's empty) and None become ''."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    result = str(value).strip()
    if result == "-":
        return ""
    return result[:limit] if limit else result


def fei(value) -> str:
    raw = text(value)
    number = normalize_fei(raw)
    if not number:
        raise RowError(
            "FEI Number is blank or all zeros",
            reason=ProblemReason.FEI_BLANK,
            field="FEI Number",
            value=raw,
        )
    if not number.isdigit() or len(number) > 10:
        raise RowError(
            f"FEI Number '{raw}' is not a number of up to 10 digits",
            reason=ProblemReason.FEI_INVALID,
            field="FEI Number",
            value=raw,
        )
    return number


DATE_FORMATS = ("%m/%d/%Y", "%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%m/%d/%y")


def date(value, column: str, *, required: bool = True) -> dt.date | None:
    """An XLSX date cell or a text date (MM/DD/YYYY or YYYY-MM-DD)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    raw = text(value)
    if not raw:
        if required:
            raise empty(column)
        return None
    if len(raw) == 10 and raw[2] == "/" and raw[5] == "/" and raw.replace("/", "").isdigit():
        try:  # MM/DD/YYYY, the Dashboard's own format, without strptime's regular expressions
            return dt.date(int(raw[6:]), int(raw[:2]), int(raw[3:5]))
        except ValueError:
            raise _not_a_date(column, raw) from None
    for pattern in DATE_FORMATS:
        try:
            return dt.datetime.strptime(raw, pattern).date()
        except ValueError:
            continue
    raise _not_a_date(column, raw)


def _not_a_date(column: str, raw: str) -> RowError:
    return RowError(
        f"{column} '{raw}' is not a date (expected MM/DD/YYYY or YYYY-MM-DD)",
        reason=ProblemReason.NOT_A_DATE,
        field=column,
        value=raw,
    )


def choice(value, column: str, mapping: dict[str, str]) -> str:
    raw = text(value)
    try:
        return mapping[raw.casefold()]
    except KeyError:
        known = ", ".join(sorted({k for k in mapping}))
        raise RowError(
            f"{column} '{raw}' is not one of: {known}",
            reason=ProblemReason.UNKNOWN_VALUE,
            field=column,
            value=raw,
        ) from None


COUNTRY_ALIASES = {
    "united states": "US",
    "korea, south": "KR",
    "korea (south)": "KR",
    "south korea": "KR",
    "taiwan": "TW",
    "russia": "RU",
    "vietnam": "VN",
    "turkey": "TR",
    "czech republic": "CZ",
    "iran": "IR",
}


def country_code(name: str) -> str:
    """An English country name or ISO3 code as the FDA writes it → ISO2, '' when unknown."""
    name = name.strip()
    if not name:
        return ""
    if len(name) == 3 and name.isupper():
        return countries.alpha2(name) or ""
    return COUNTRY_ALIASES.get(name.casefold()) or countries.by_name(name) or ""


# ---------------------------------------------------------------- records


@dataclass
class SiteHint:
    """What a Dashboard row tells about a site, used to create it when asked to."""

    legal_name: str
    city: str = ""
    state: str = ""
    postal_code: str = ""
    country: str = ""


@dataclass
class EventRecord:
    fei: str
    hint: SiteHint
    kind: str
    reference: str
    event_date: dt.date
    project_area: str = ""
    product_id: str = ""
    fields: dict = field(default_factory=dict)

    @property
    def key(self) -> tuple:
        return (self.kind, Agency.FDA, self.reference, self.project_area, self.product_id)


@dataclass
class CitationRecord:
    fei: str
    hint: SiteHint
    inspection_id: str
    end_date: dt.date
    program_area: str
    act_cfr_number: str
    short_description: str
    long_description: str

    @property
    def key(self) -> str:
        return citation_key(self.act_cfr_number, self.short_description, self.long_description)


@dataclass
class RegistrationRecord:
    fei: str
    firm_name: str
    duns: str
    address_line1: str
    address_line2: str
    city: str
    state: str
    postal_code: str
    country: str
    expires: dt.date | None
    operations: list[str]
    registrant_name: str
    registrant_duns: str
