"""Permission-checked getters, one per entity: fetch and authorize in one call (403 or 404).

Documents follow their contract's rule. The responsibility matrix of a quality agreement is the
one part of a contract with its own permission; its view checks that on top of reading the
contract.
"""

from cmoselect.roles import Perm, get_for
from contracts.models import Amendment, Contract, ContractDocument

CONTRACT_WRITE = Perm.EDIT_CONTRACTS


def get_contract_for(user, pk: int, *, write: bool = False) -> Contract:
    queryset = Contract.objects.select_related("cmo", "parent", "owner")
    return get_for(user, queryset, pk, write=write, write_perm=CONTRACT_WRITE)


def get_document_for(user, pk: int, *, write: bool = False) -> ContractDocument:
    queryset = ContractDocument.objects.select_related("contract")
    return get_for(user, queryset, pk, write=write, write_perm=CONTRACT_WRITE)


def get_amendment_for(user, pk: int, *, write: bool = False) -> Amendment:
    queryset = Amendment.objects.select_related("contract__cmo", "raised_by", "decided_by")
    return get_for(user, queryset, pk, write=write, write_perm=CONTRACT_WRITE)
