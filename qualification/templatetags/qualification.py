from django import template

from qualification.checks import scope_gaps

register = template.Library()


@register.simple_tag
def asl_scope_gaps(items) -> list[str]:
    """The scope lines' gaps against the approved supplier list (for the contract page)."""
    return scope_gaps(items)
