"""Announce that data feeding a CMO's qualification score changed.

Apps to the left of `scoring` (vendors, audits, contracts) cannot import it; their services call
`scoring_inputs_changed(...)` and scoring listens to the `inputs_changed` signal, so that scores
are recomputed without the data apps knowing who consumes them.
"""

from collections.abc import Iterable

from django.db import transaction
from django.dispatch import Signal

# Sent after the transaction commits, with cmo_ids (a frozenset of ints) and reason (str).
inputs_changed = Signal()


def scoring_inputs_changed(*, cmo_ids: Iterable[int], reason: str) -> None:
    """Tell listeners, once the current transaction commits, that these CMOs' inputs changed."""
    ids = frozenset(cmo_ids)
    if not ids:
        return
    transaction.on_commit(
        lambda: inputs_changed.send(sender=None, cmo_ids=ids, reason=reason), robust=True
    )
