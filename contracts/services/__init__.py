"""Contract workflows, split by subdomain; import them from here."""

from contracts.services.amendments import (
    amendment_approve,
    amendment_raise,
    amendment_reject,
    amendment_withdraw,
    amendments_apply_due,
)
from contracts.services.contracts import (
    SCORED_FIELDS,
    contract_change_status,
    contract_document_add,
    contract_items_save,
    contract_save,
    kpi_measurement_record,
    responsibility_matrix_prefill,
)
from contracts.services.review import contract_alerts_send, contracts_review, contracts_roll_over

__all__ = [
    "amendment_approve",
    "amendment_raise",
    "amendment_reject",
    "amendment_withdraw",
    "amendments_apply_due",
    "SCORED_FIELDS",
    "contract_alerts_send",
    "contract_change_status",
    "contract_document_add",
    "contract_items_save",
    "contract_save",
    "contracts_review",
    "contracts_roll_over",
    "kpi_measurement_record",
    "responsibility_matrix_prefill",
]
