from django import template

from contracts.models import Contract
from contracts.status import quality_agreements_in_force

register = template.Library()


@register.inclusion_tag("contracts/_cmo_card.html", takes_context=True)
def contracts_card(context, cmo) -> dict:
    """The CMO page's card: its contracts and whether a quality agreement is in force."""
    contracts = (
        Contract.objects.filter(cmo=cmo)
        .with_milestone_summary()
        .order_by("parent_id", "contract_type", "title")
    )
    return {
        "cmo": cmo,
        "contracts": contracts,
        "quality_agreement": quality_agreements_in_force([cmo.pk]).get(cmo.pk),
        "can": context.get("can"),
    }
