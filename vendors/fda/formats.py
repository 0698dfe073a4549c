"""Each FDA export: its exact header, and how one of its rows becomes a typed record."""

import re
from dataclasses import dataclass, field

from django_countries import countries

from vendors.fda.records import (
    CitationRecord,
    EventRecord,
    RegistrationRecord,
    RowError,
    SiteHint,
    choice,
    country_code,
    date,
    empty,
    fei,
    text,
)
from vendors.models import Classification, EventKind, ProblemReason, document_key

# ---------------------------------------------------------------- formats


@dataclass(frozen=True)
class Format:
    code: str
    label: str
    columns: tuple[str, ...]
    # A required column that some exports name differently: canonical → other names.
    alternatives: dict = field(default_factory=dict)

    def missing(self, header: list[str]) -> list[str]:
        found = set(header)
        return [
            column
            for column in self.columns
            if column not in found
            and not any(alt in found for alt in self.alternatives.get(column, ()))
        ]

    def column_map(self, header: list[str]) -> dict[str, int]:
        """Canonical column name → its index in this file."""
        index = {name: i for i, name in enumerate(header)}
        result = {}
        for column in self.columns:
            for name in (column, *self.alternatives.get(column, ())):
                if name in index:
                    result[column] = index[name]
                    break
        return result

    def parse(self, row: dict) -> object:
        raise NotImplementedError


INSPECTION_CLASSES = {
    "no action indicated (nai)": Classification.NAI,
    "voluntary action indicated (vai)": Classification.VAI,
    "official action indicated (oai)": Classification.OAI,
    "nai": Classification.NAI,
    "vai": Classification.VAI,
    "oai": Classification.OAI,
}
RECALL_CLASSES = {
    "class i": Classification.CLASS_1,
    "class ii": Classification.CLASS_2,
    "class iii": Classification.CLASS_3,
}
ACTION_TYPES = {
    "warning letter": EventKind.WARNING_LETTER,
    "injunction": EventKind.INJUNCTION,
    "seizure": EventKind.SEIZURE,
}
YES_NO = {"yes": True, "no": False, "": None}


class Inspections(Format):
    def parse(self, row: dict) -> EventRecord:
        return EventRecord(
            fei=fei(row["FEI Number"]),
            hint=SiteHint(
                legal_name=text(row["Legal Name"], 200),
                city=text(row["City"], 100),
                state=text(row["State"], 100),
                postal_code=text(row["Zip"], 20),
                country=country_code(text(row["Country/Area"])),
            ),
            kind=EventKind.INSPECTION,
            reference=_required(row, "Inspection ID", 60),
            event_date=date(row["Inspection End Date"], "Inspection End Date"),
            project_area=text(row["Project Area"], 120),
            fields={
                "classification": choice(
                    row["Classification"], "Classification", INSPECTION_CLASSES
                ),
                "product_type": text(row["Product Type"], 60),
                "citations_posted": choice(row["Posted Citations"], "Posted Citations", YES_NO),
                "description": text(row["Additional Details"]),
            },
        )


class Citations(Format):
    def parse(self, row: dict) -> CitationRecord:
        short = text(row["Short Description"], 300)
        if not short:
            raise empty("Short Description")
        return CitationRecord(
            fei=fei(row["FEI Number"]),
            hint=SiteHint(legal_name=text(row["Legal Name"], 200)),
            inspection_id=_required(row, "Inspection ID", 60),
            end_date=date(row["Inspection End Date"], "Inspection End Date"),
            program_area=text(row["Program Area"], 120),
            act_cfr_number=text(row["Act/CFR Number"], 60),
            short_description=short,
            long_description=text(row["Long Description"]),
        )


class ComplianceActions(Format):
    def parse(self, row: dict) -> EventRecord:
        return EventRecord(
            fei=fei(row["FEI Number"]),
            hint=SiteHint(
                legal_name=text(row["Legal Name"], 200),
                state=text(row["State"], 100),
                country=country_code(text(row["Country/Area"])),
            ),
            kind=choice(row["Action Type"], "Action Type", ACTION_TYPES),
            reference=_required(row, "Case/Injunction ID", 60),
            event_date=date(row["Action Taken Date"], "Action Taken Date"),
            fields={"product_type": text(row["Product Type"], 60)},
        )


class Published483s(Format):
    def parse(self, row: dict) -> EventRecord:
        published = date(row["Publish Date"], "Publish Date", required=False)
        record_type = text(row["Record Type"], 60)
        description = f"Form {record_type}" if record_type.isdigit() else record_type
        if published:
            description += f", published {published:%Y-%m-%d}"
        url = text(row["Download"], 500)
        return EventRecord(
            fei=fei(row["FEI Number"]),
            hint=SiteHint(legal_name=text(row["Legal Name"], 200)),
            kind=EventKind.FORM_483,
            # The document, not the Record ID (which changes between exports) makes the 483.
            reference=document_key(url) or _required(row, "Record ID", 60),
            event_date=date(row["Record Date"], "Record Date"),
            fields={"description": description, "url": url},
        )


class Recalls(Format):
    def parse(self, row: dict) -> EventRecord:
        return EventRecord(
            fei=fei(row["FEI Number"]),
            hint=SiteHint(
                legal_name=text(row["Recalling Firm Name"], 200),
                city=text(row["Recalling Firm City"], 100),
                state=text(row["Recalling Firm State"], 100),
                country=country_code(text(row["Recalling Firm Country"])),
            ),
            kind=EventKind.RECALL,
            reference=_required(row, "Event ID", 60),
            product_id=_required(row, "Product ID", 30),
            event_date=date(row["Center Classification Date"], "Center Classification Date"),
            fields={
                "classification": choice(
                    row["Product Classification"], "Product Classification", RECALL_CLASSES
                ),
                "product_type": text(row["Product Type"], 60),
                "status": text(row["Status"], 40),
                "reason": text(row["Reason for Recall"]),
                "description": text(row["Product Description"]),
                "url": text(row["Recall Details"], 500),
            },
        )


OPERATIONS = (
    "MANUFACTURE",
    "ANALYSIS",
    "API MANUFACTURE",
    "LABEL",
    "PACK",
    "REPACK",
    "RELABEL",
    "STERILIZE",
    "TRANSFILL",
    "PARTICLE SIZE REDUCTION",
    "POSITRON EMISSION TOMOGRAPHY DRUG PRODUCTION",
    "MEDICATED ANIMAL FEED MANUFACTURE",
    "DISTRIBUTE",
    "SALVAGE",
    "SIP FOREIGN SELLER",
)
# Registered operations that say something about a capability in our taxonomy (as "claimed").
OPERATION_CAPABILITIES = {
    "MANUFACTURE": "services-commercial-manufacturing",
    "ANALYSIS": "services-analytical-development-and-qc-testing",
    "API MANUFACTURE": "modalities-small-molecule-api",
    "LABEL": "services-labeling",
    "RELABEL": "services-labeling",
    "PACK": "services-packaging",
    "REPACK": "services-packaging",
    "STERILIZE": "services-sterilization",
    "POSITRON EMISSION TOMOGRAPHY DRUG PRODUCTION": "modalities-radiopharmaceuticals",
}
# Each capability and the registered operations that claim it.
CAPABILITY_OPERATIONS: dict[str, tuple[str, ...]] = {
    code: tuple(op for op, claimed in OPERATION_CAPABILITIES.items() if claimed == code)
    for code in dict.fromkeys(OPERATION_CAPABILITIES.values())
}
_ADDRESS_TAIL = re.compile(r"^(?P<rest>.*?)[,\s]*\((?P<iso3>[A-Z]{3})\)\s*$", re.S)
_US_STATE = re.compile(r"^(?P<state>.*?)\s*\((?P<code>[A-Z]{2})\)\s*(?P<postal>.*)$")


def split_address(address: str) -> dict:
    """'Kalkstr. 218, Leverkusen,  51377, Germany (DEU)' → lines, city, state, postal, country."""
    match = _ADDRESS_TAIL.match(address.strip())
    if not match:
        raise RowError(
            "ADDRESS does not end with a country code like '(DEU)'",
            reason=ProblemReason.NO_COUNTRY,
            field="ADDRESS",
            value=address,
        )
    country = countries.alpha2(match["iso3"]) or ""
    if not country:
        raise RowError(
            f"ADDRESS ends with an unknown country code '{match['iso3']}'",
            reason=ProblemReason.UNKNOWN_COUNTRY,
            field="ADDRESS",
            value=match["iso3"],
        )
    parts = [p.strip() for p in match["rest"].split(",") if p.strip()]
    # The country's own name may contain a comma ('Korea, South'): it is whatever follows the
    # last part with a digit in it (the postal code).
    with_digit = [i for i, p in enumerate(parts) if any(ch.isdigit() for ch in p)]
    end = (with_digit[-1] + 1) if with_digit else max(len(parts) - 1, 0)
    parts = parts[:end]
    state = postal = ""
    if parts and with_digit:
        tail = parts.pop()
        us = _US_STATE.match(tail)
        if us:
            state, postal = us["code"], us["postal"]
        else:
            words = tail.split()
            first_digit = next(
                (i for i, w in enumerate(words) if any(ch.isdigit() for ch in w)), len(words)
            )
            state = " ".join(words[:first_digit]).strip(" -")
            postal = " ".join(words[first_digit:])
    city = parts.pop() if parts else ""
    return {
        "address_line1": (parts[0] if parts else "")[:200],
        "address_line2": ", ".join(parts[1:])[:200],
        "city": city[:100],
        "state": state[:100],
        "postal_code": postal[:20],
        "country": country,
    }


def _duns(value) -> str:
    digits = text(value)
    return digits if digits.isdigit() and len(digits) == 9 else ""


class Registrations(Format):
    def parse(self, row: dict) -> RegistrationRecord:
        number = fei(row["FEI_NUMBER"])
        firm = text(row["FIRM_NAME"], 200)
        if not firm:
            raise empty("FIRM_NAME")
        operations = [op.strip().upper() for op in text(row["OPERATIONS"]).split(";") if op.strip()]
        unknown = [op for op in operations if op not in OPERATIONS]
        if unknown:
            raise RowError(
                f"OPERATIONS has unknown values: {', '.join(unknown)}",
                reason=ProblemReason.UNKNOWN_OPERATIONS,
                field="OPERATIONS",
                value="; ".join(unknown),
            )
        return RegistrationRecord(
            fei=number,
            firm_name=firm,
            duns=_duns(row["DUNS_NUMBER"]),
            expires=date(row["EXPIRATION_DATE"], "EXPIRATION_DATE", required=False),
            operations=operations,
            registrant_name=text(row["REGISTRANT_NAME"], 200) or firm,
            registrant_duns=_duns(row["REGISTRANT_DUNS"]),
            **split_address(text(row["ADDRESS"])),
        )


def _required(row: dict, column: str, limit: int) -> str:
    value = text(row[column], limit)
    if not value:
        raise empty(column)
    return value


FORMATS = (
    Registrations(
        "decrs",
        "FDA establishment registrations (DECRS)",
        (
            "FEI_NUMBER",
            "DUNS_NUMBER",
            "FIRM_NAME",
            "ADDRESS",
            "EXPIRATION_DATE",
            "OPERATIONS",
            "REGISTRANT_NAME",
            "REGISTRANT_DUNS",
        ),
    ),
    Inspections(
        "inspections",
        "Inspections Classification",
        (
            "FEI Number",
            "Legal Name",
            "City",
            "State",
            "Zip",
            "Country/Area",
            "Inspection ID",
            "Posted Citations",
            "Inspection End Date",
            "Classification",
            "Project Area",
            "Product Type",
            "Additional Details",
        ),
    ),
    Citations(
        "citations",
        "Inspections Citations",
        (
            "FEI Number",
            "Legal Name",
            "Inspection ID",
            "Inspection End Date",
            "Program Area",
            "Act/CFR Number",
            "Short Description",
            "Long Description",
        ),
    ),
    ComplianceActions(
        "compliance_actions",
        "Compliance Actions",
        (
            "FEI Number",
            "Legal Name",
            "State",
            "Country/Area",
            "Product Type",
            "Action Taken Date",
            "Action Type",
            "Case/Injunction ID",
        ),
    ),
    Published483s(
        "published_483s",
        "Published 483s",
        (
            "Record Date",
            "FEI Number",
            "Legal Name",
            "Record Type",
            "Publish Date",
            "Download",
            "Record ID",
        ),
        alternatives={"Publish Date": ("Date Posted",)},
    ),
    Recalls(
        "recalls",
        "Recalls",
        (
            "FEI Number",
            "Recalling Firm Name",
            "Product Type",
            "Product Classification",
            "Status",
            "Recalling Firm City",
            "Recalling Firm State",
            "Recalling Firm Country",
            "Center Classification Date",
            "Reason for Recall",
            "Product Description",
            "Event ID",
            "Product ID",
            "Recall Details",
        ),
    ),
)
BY_CODE = {f.code: f for f in FORMATS}


class HeaderProblem(Exception):
    """The header matches no known export; the message lists expected and found columns."""


def detect(header: list[str]) -> Format:
    """The export whose columns are all in this header (the most specific, if several)."""
    matches = [f for f in FORMATS if not f.missing(header)]
    if matches:
        return max(matches, key=lambda f: len(f.columns))
    closest = min(FORMATS, key=lambda f: (len(f.missing(header)), -len(f.columns)))
    found = ", ".join(h for h in header if h) or "(none)"
    raise HeaderProblem(
        "The columns match no FDA export this importer knows. "
        f"Closest is {closest.label}: expected columns {', '.join(closest.columns)}; "
        f"found {found}; missing {', '.join(closest.missing(header))}."
    )
