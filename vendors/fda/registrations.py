"""Establishment registrations (DECRS): sites, their CMOs, and the operations they registered.

A registration creates its site (and the registrant as CMO) or fills the gaps of an existing
site, and claims the capabilities its operations stand for.
"""

from dataclasses import dataclass, field

from django.db.models import F
from django.db.models.functions import Lower
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from cmoselect.bulk import AnyOf, insert_objects_with_history
from vendors.fda.context import CapabilityCell, Context, Preview, Rows, Tally, site_key
from vendors.fda.formats import OPERATION_CAPABILITIES
from vendors.fda.records import RegistrationRecord
from vendors.models import CapabilityLevel, Cmo, Site, SiteCapability

FILLED_FROM_REGISTRATION = (
    "address_line1",
    "address_line2",
    "city",
    "state",
    "postal_code",
    "duns_number",
)


@dataclass
class RegistrationPlan:
    sites: dict[str, Site]  # FEI → site, existing or new
    cells: set[tuple]  # (site key, capability pk) the sites hold or will
    cmos: dict[str, Cmo]  # casefolded legal name → CMO, existing or new
    new_cmos: list[Cmo] = field(default_factory=list)
    new_sites: list[Site] = field(default_factory=list)
    new_cells: list[SiteCapability] = field(default_factory=list)
    changed_sites: dict[int, Site] = field(default_factory=dict)
    fields: set[str] = field(
        default_factory=lambda: {"fda_operations", "fda_registration_expires", "updated_at"}
    )

    def write(self, ctx: Context, tally: Tally) -> None:
        insert_objects_with_history(self.new_cmos, **ctx.history)
        tally.cmo_ids.update(c.pk for c in self.new_cmos)
        for site in self.new_sites:
            site.cmo_id = site.cmo.pk
        insert_objects_with_history(self.new_sites, **ctx.history)
        tally.cmo_ids.update(s.cmo_id for s in self.new_sites)
        for cell in self.new_cells:
            cell.site_id = cell.site.pk
        insert_objects_with_history(self.new_cells, **ctx.history)
        if self.changed_sites:
            self._update_sites(ctx)

    def remember(self, preview: Preview) -> None:
        preview.cmos.update({c.legal_name.casefold(): c for c in self.new_cmos})
        preview.sites.update({s.fei_number: s for s in self.new_sites})
        preview.cells.update(
            CapabilityCell(site_key(c.site), c.capability_id) for c in self.new_cells
        )

    def _update_sites(self, ctx: Context) -> None:
        now = timezone.now()
        for site in self.changed_sites.values():
            site.updated_at = now
        bulk_update_with_history(
            list(self.changed_sites.values()),
            Site,
            fields=sorted(self.fields),
            default_user=ctx.user,
            default_change_reason=ctx.reason,
        )


def plan_registrations(chunk: Rows, ctx: Context, tally: Tally) -> RegistrationPlan:
    """Which sites and CMOs of a chunk are new, which sites changed, which operations are new."""
    plan = _lookup(chunk, ctx)
    for _number, record in chunk:
        site = plan.sites.get(record.fei)
        created = site is None
        if created:
            site = _new_site(plan, record)
            changed = False
        else:
            changed = _fill_gaps(plan, site, record)
        changed = _claim_operations(plan, site, record, ctx) or changed
        if created:
            tally.created += 1
        elif changed:
            tally.updated += 1
        else:
            tally.unchanged += 1
            continue
        if site.cmo_id:
            tally.cmo_ids.add(site.cmo_id)
    return plan


def _lookup(chunk: Rows, ctx: Context) -> RegistrationPlan:
    """The sites, capability cells and registrant CMOs the rows of a chunk may name."""
    feis = {record.fei for _, record in chunk}
    sites = {s.fei_number: s for s in Site.objects.filter(AnyOf(F("fei_number"), feis))}
    sites.update({f: s for f, s in ctx.preview.sites.items() if f in feis})
    cells = set(
        SiteCapability.objects.filter(
            AnyOf(F("site_id"), [s.pk for s in sites.values() if s.pk])
        ).values_list("site_id", "capability_id")
    )
    cells |= ctx.preview.cells
    names = {r.registrant_name.casefold() for _, r in chunk if r.fei not in sites}
    cmos = {
        c.legal_name.casefold(): c
        for c in Cmo.objects.annotate(lower_name=Lower("legal_name")).filter(lower_name__in=names)
    }
    cmos.update(ctx.preview.cmos)
    return RegistrationPlan(sites=sites, cells=cells, cmos=cmos)


def _new_site(plan: RegistrationPlan, r: RegistrationRecord) -> Site:
    cmo = plan.cmos.get(r.registrant_name.casefold())
    if cmo is None:
        cmo = Cmo(
            legal_name=r.registrant_name,
            headquarters_country=r.country,
            duns_number=r.registrant_duns,
        )
        plan.cmos[r.registrant_name.casefold()] = cmo
        plan.new_cmos.append(cmo)
    site = Site(
        cmo=cmo,
        name=r.firm_name,
        fei_number=r.fei,
        duns_number=r.duns,
        address_line1=r.address_line1,
        address_line2=r.address_line2,
        city=r.city,
        state=r.state,
        postal_code=r.postal_code,
        country=r.country,
        fda_operations="; ".join(r.operations),
        fda_registration_expires=r.expires,
    )
    plan.sites[r.fei] = site
    plan.new_sites.append(site)
    return site


def _fill_gaps(plan: RegistrationPlan, site: Site, r: RegistrationRecord) -> bool:
    """Bring a known site up to its registration; False when it already is."""
    updates = {"fda_operations": "; ".join(r.operations), "fda_registration_expires": r.expires}
    # Registration data only fills gaps: what a user typed is never overwritten.
    for name in FILLED_FROM_REGISTRATION:
        value = r.duns if name == "duns_number" else getattr(r, name)
        if value and not getattr(site, name):
            updates[name] = value
    changed = False
    for name, value in updates.items():
        if getattr(site, name) != value:
            setattr(site, name, value)
            plan.fields.add(name)
            changed = True
    if changed and site.pk:
        plan.changed_sites[site.pk] = site
    return changed


def _claim_operations(
    plan: RegistrationPlan, site: Site, r: RegistrationRecord, ctx: Context
) -> bool:
    """Claim the capability of each registered operation the site lacks; False when none."""
    claimed = False
    for op in r.operations:
        capability_id = ctx.capability_ids.get(OPERATION_CAPABILITIES.get(op, ""))
        cell = CapabilityCell(site_key(site), capability_id)
        if capability_id is None or cell in plan.cells:
            continue
        plan.cells.add(cell)
        claimed = True
        plan.new_cells.append(
            SiteCapability(
                site=site,
                capability_id=capability_id,
                level=CapabilityLevel.CLAIMED,
                source=SiteCapability.Source.FDA_REGISTRATION,
                notes=f"Registered operation: {op}",
            )
        )
    return claimed
