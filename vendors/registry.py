"""Services of the FDA registry: linking it to the directory and adding establishments to it.

The registry (`vendors.models.registry`) holds every establishment the FDA lists; the sponsor's
directory holds only the CMOs and sites someone chose. A directory site is linked to its
registry entry by FEI; adding an entry to the directory makes (or reuses) its CMO and site.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from simple_history.utils import bulk_update_with_history

from cmoselect.events import scoring_inputs_changed
from cmoselect.history import require_reason, save_with_history
from vendors.compliance import establishments_refresh_signal
from vendors.fda.formats import OPERATION_CAPABILITIES
from vendors.models import (
    Capability,
    CapabilityLevel,
    Cmo,
    Establishment,
    ImportRun,
    RegulatoryEvent,
    Site,
    SiteCapability,
)

ADD_REASON_REQUIRED = "Say why these establishments are added to the directory."


def registry_entry_for_site(site: Site, *, user, reason: str = "") -> Establishment | None:
    """The registry entry of a site's FEI, made from the site when the registry lacks it."""
    if not site.fei_number:
        return None
    found = Establishment.objects.filter(fei=site.fei_number).first()
    if found:
        return found
    entry = Establishment(
        fei=site.fei_number,
        firm_name=site.name,
        registrant_name=site.cmo.legal_name,
        duns=site.duns_number,
        address_line1=site.address_line1,
        address_line2=site.address_line2,
        city=site.city,
        state=site.state,
        postal_code=site.postal_code,
        country=site.country,
    )
    reason = reason or f"FEI of the directory site {site.name}"
    return save_with_history(entry, user=user, reason=reason)


def registry_after_import(*, run: ImportRun, fmt: str) -> None:
    """After a committed import: a DECRS file unlists the entries it no longer names; a Data
    Dashboard file refreshes the signal of the entries whose events it wrote."""
    if fmt == ImportRun.Format.DECRS:
        from vendors.fda.registrations import establishments_mark_unlisted

        unlisted = establishments_mark_unlisted(run=run, user=run.uploaded_by)
        if unlisted:
            note = f"{unlisted} establishment(s) not in this file are marked no longer registered."
            run.message = f"{run.message} {note}".strip()
        return
    establishments_refresh_signal(
        Establishment.objects.filter(regulatory_events__import_run=run).distinct()
    )


def establishments_add_to_directory(
    *, establishments: list[Establishment], user, reason: str, cmo: Cmo | None = None
) -> list[Site]:
    """Add registry entries to the directory (a site each, under `cmo` or its registrant's CMO,
    made when missing), with their claimed capabilities and their history; returns the sites.

    An entry already in the directory is linked to its site and left as it is.
    """
    reason = require_reason(reason, field_name="reason", message=ADD_REASON_REQUIRED)
    capabilities = dict(
        Capability.objects.filter(code__in=set(OPERATION_CAPABILITIES.values())).values_list(
            "code", "pk"
        )
    )
    sites = []
    with transaction.atomic():
        for establishment in establishments:
            site = Site.objects.filter(fei_number=establishment.fei).first()
            if site is None:
                site = _add(establishment, user=user, reason=reason, cmo=cmo, caps=capabilities)
            sites.append(site)
        scoring_inputs_changed(cmo_ids={s.cmo_id for s in sites}, reason="registry")
    return sites


def _add(establishment: Establishment, *, user, reason: str, cmo: Cmo | None, caps) -> Site:
    if not establishment.country:
        raise ValidationError(
            {"establishments": f"{establishment} has no country: add its site by hand."}
        )
    if cmo is None:
        name = (establishment.registrant_name or establishment.firm_name)[:200]
        cmo = Cmo.objects.filter(legal_name__iexact=name).first()
        if cmo is None:
            cmo = Cmo(
                legal_name=name,
                headquarters_country=establishment.country,
                duns_number=_duns(establishment.registrant_duns),
            )
            save_with_history(cmo, user=user, reason=reason, clean=True)
    site = Site(
        cmo=cmo,
        name=establishment.firm_name,
        fei_number=establishment.fei,
        duns_number=_duns(establishment.duns),
        address_line1=establishment.address_line1,
        address_line2=establishment.address_line2,
        city=establishment.city,
        state=establishment.state,
        postal_code=establishment.postal_code,
        country=establishment.country,
        fda_operations=establishment.operations,
        fda_registration_expires=establishment.registration_expires,
    )
    save_with_history(site, user=user, reason=reason, clean=True)
    claimed = set()
    for op in establishment.operation_list:
        capability_id = caps.get(OPERATION_CAPABILITIES.get(op, ""))
        if capability_id is None or capability_id in claimed:
            continue
        claimed.add(capability_id)
        cell = SiteCapability(
            site=site,
            capability_id=capability_id,
            level=CapabilityLevel.CLAIMED,
            source=SiteCapability.Source.FDA_REGISTRATION,
            notes=f"Registered operation: {op}",
        )
        save_with_history(cell, user=user, reason=reason)
    # The establishment's history becomes the site's: its events are the site's from now on.
    events = list(RegulatoryEvent.objects.filter(establishment=establishment, site=None))
    for event in events:
        event.site = site
    bulk_update_with_history(
        events, RegulatoryEvent, fields=["site"], default_user=user, default_change_reason=reason
    )
    return site


def _duns(value: str) -> str:
    return value if len(value) == 9 and value.isdigit() else ""
