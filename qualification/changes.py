"""Changes a CMO notified about a site, and QA's assessment of each (QA and Admin, with history).

Recording or assessing one reassesses the site's risk class (through the same event as the
other inputs of the risk), since a major change since the last audit weighs in it.
"""

from django.db import transaction

from cmoselect.events import scoring_inputs_changed
from cmoselect.history import save_with_history
from cmoselect.roles import Perm, check_perm
from qualification.models import NotifiedChange

TEXT_FIELDS = ("title", "description", "assessment_notes")


def notified_change_save(*, change: NotifiedChange, user, reason: str = "") -> NotifiedChange:
    """Record a change the CMO notified, or correct or assess one (with a reason), with history.

    Raises ValidationError with field errors: a future date, or an assessment without notes.
    """
    check_perm(user, Perm.EDIT_REGULATORY)
    if change.pk is None:
        change.created_by = user
    for name in TEXT_FIELDS:
        setattr(change, name, getattr(change, name).strip())
    change.full_clean(exclude=["created_by"])
    with transaction.atomic():
        save_with_history(change, user=user, reason=reason)
        scoring_inputs_changed(cmo_ids=[change.site.cmo_id], reason="notified changes")
    return change
