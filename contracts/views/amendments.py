"""Amendments to signed contracts: raise, read, approve, reject, withdraw; terms as of a version."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from cmoselect.forms import apply_service_errors, message_errors
from cmoselect.roles import Perm, has_perm, role_required
from contracts.access import get_amendment_for, get_contract_for
from contracts.forms import (
    AmendmentDecisionForm,
    AmendmentDocumentForm,
    AmendmentForm,
    AmendmentTermsForm,
    AmendmentWithdrawalForm,
    KpiItemFormSet,
    ResponsibilityFormSet,
    ScopeItemFormSet,
)
from contracts.models import Contract, ContractDocument
from contracts.services import (
    amendment_approve,
    amendment_raise,
    amendment_reject,
    amendment_withdraw,
    contract_document_add,
)
from contracts.versions import (
    TABLES,
    contract_terms,
    describe_change,
    describe_terms,
    plain_row,
    table_rows,
)

FORMSETS = {"scope": ScopeItemFormSet, "kpis": KpiItemFormSet, "matrix": ResponsibilityFormSet}


def _proposed_rows(contract: Contract, table: str, formset) -> list[dict]:
    """The table as the formset leaves it; fields a form does not show keep their values."""
    current = {row["id"]: row for row in table_rows(contract, table)}
    rows = []
    for form in formset.forms:
        if form in formset.deleted_forms:
            continue
        pk = form.instance.pk
        if pk is None and not form.has_changed():
            continue
        row = plain_row(table, form.cleaned_data, row_id=pk)
        if pk in current:
            shown = set(form.fields)
            row = {**current[pk], **{k: v for k, v in row.items() if k in shown}}
        rows.append(row)
    return rows


def _raise(request: HttpRequest, contract: Contract, *, terms: bool) -> HttpResponse:
    """The amendment form: the terms this role may change, entered as on the contract's forms."""
    tables = ["scope", "kpis"] if terms else []
    if contract.is_quality_agreement and has_perm(request.user, Perm.EDIT_QUALITY_MATRIX):
        tables.append("matrix")
    data = request.POST if request.method == "POST" else None
    terms_form = None
    if terms:
        # A copy: validating the form sets the proposed values on the instance it holds.
        copy = Contract.objects.select_related("cmo").get(pk=contract.pk)
        terms_form = AmendmentTermsForm(data, instance=copy)
    formsets = {t: FORMSETS[t](data, instance=contract, prefix=t) for t in tables}
    form = AmendmentForm(data, request.FILES or None, prefix="amendment")
    if data is not None:
        valid = [form.is_valid(), *(f.is_valid() for f in formsets.values())]
        if terms_form is not None:
            valid.append(terms_form.is_valid())
        if all(valid):
            try:
                amendment = amendment_raise(
                    contract=contract,
                    user=request.user,
                    reason=form.cleaned_data["reason"],
                    effective_date=form.cleaned_data["effective_date"],
                    fields=terms_form.proposed() if terms_form else {},
                    tables={t: _proposed_rows(contract, t, f) for t, f in formsets.items()},
                    upload=form.cleaned_data["document"],
                )
            except ValidationError as error:
                if terms_form is not None and hasattr(error, "error_dict"):
                    terms_errors = {
                        k: v for k, v in error.message_dict.items() if k in terms_form.fields
                    }
                    if terms_errors:
                        apply_service_errors(terms_form, ValidationError(terms_errors))
                    rest = {
                        k: v for k, v in error.message_dict.items() if k not in terms_form.fields
                    }
                    if rest:
                        apply_service_errors(form, ValidationError(rest))
                else:
                    apply_service_errors(form, error)
            else:
                messages.success(request, f"{amendment} was raised; it awaits approval.")
                return redirect(amendment)
    return render(
        request,
        "contracts/amendment_form.html",
        {
            "contract": contract,
            "terms_form": terms_form,
            "formsets": [(TABLES[t][3], t, formsets[t]) for t in tables],
            "form": form,
        },
    )


@role_required(Perm.EDIT_CONTRACTS)
def amendment_create(request: HttpRequest, contract_id: int) -> HttpResponse:
    contract = get_contract_for(request.user, contract_id, write=True)
    return _raise(request, contract, terms=True)


@role_required(Perm.EDIT_QUALITY_MATRIX)
def amendment_create_matrix(request: HttpRequest, contract_id: int) -> HttpResponse:
    contract = get_contract_for(request.user, contract_id)
    if not contract.is_quality_agreement:
        raise Http404("Only a quality agreement has a responsibility matrix.")
    return _raise(request, contract, terms=False)


@role_required(Perm.VIEW)
def amendment_detail(request: HttpRequest, amendment_id: int) -> HttpResponse:
    amendment = get_amendment_for(request.user, amendment_id)
    user = request.user
    return render(
        request,
        "contracts/amendment_detail.html",
        {
            "amendment": amendment,
            "contract": amendment.contract,
            "change": describe_change(amendment.base, amendment.changes),
            "documents": amendment.documents.select_related("uploaded_by"),
            "can_decide": amendment.is_open
            and has_perm(user, Perm.APPROVE_AMENDMENTS)
            and user.pk != amendment.raised_by_id,
            "can_withdraw": amendment.is_open and user.pk == amendment.raised_by_id,
            "decision_form": AmendmentDecisionForm(),
            "withdrawal_form": AmendmentWithdrawalForm(),
            "document_form": AmendmentDocumentForm(),
        },
    )


def _decide(
    request: HttpRequest, amendment_id: int, service, *, done: str, form_class=AmendmentDecisionForm
) -> HttpResponse:
    amendment = get_amendment_for(request.user, amendment_id)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            amendment = service(
                amendment=amendment, user=request.user, note=form.cleaned_data["note"]
            )
        except ValidationError as error:
            message_errors(request, error)
        else:
            messages.success(request, done.format(amendment=amendment))
    else:
        message_errors(request, ValidationError(form.errors.get("note", [])))
    return redirect(amendment)


@require_POST
@role_required(Perm.APPROVE_AMENDMENTS)
def amendment_approve_view(request: HttpRequest, amendment_id: int) -> HttpResponse:
    return _decide(request, amendment_id, amendment_approve, done="{amendment} was approved.")


@require_POST
@role_required(Perm.APPROVE_AMENDMENTS)
def amendment_reject_view(request: HttpRequest, amendment_id: int) -> HttpResponse:
    return _decide(request, amendment_id, amendment_reject, done="{amendment} was rejected.")


@require_POST
@role_required(Perm.VIEW)
def amendment_withdraw_view(request: HttpRequest, amendment_id: int) -> HttpResponse:
    # Only the author withdraws (whatever their role): the service checks that.
    return _decide(
        request,
        amendment_id,
        amendment_withdraw,
        done="{amendment} was withdrawn.",
        form_class=AmendmentWithdrawalForm,
    )


@require_POST
@role_required(Perm.EDIT_CONTRACTS)
def amendment_document_upload(request: HttpRequest, amendment_id: int) -> HttpResponse:
    amendment = get_amendment_for(request.user, amendment_id, write=True)
    form = AmendmentDocumentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            document = contract_document_add(
                contract=amendment.contract,
                upload=form.cleaned_data["file"],
                kind=ContractDocument.Kind.AMENDMENT,
                title=f"Amendment {amendment.number}",
                user=request.user,
                amendment=amendment,
            )
        except ValidationError as error:
            message_errors(request, error)
        else:
            messages.success(request, f"{document.filename} uploaded.")
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, f"Signed amendment: {message}")
    return redirect(amendment)


@role_required(Perm.VIEW)
def contract_terms_version(request: HttpRequest, contract_id: int) -> HttpResponse:
    """The terms as of version N: 0 as signed, N after amendment N took effect."""
    contract = get_contract_for(request.user, contract_id)
    applied = list(contract.amendments.applied().order_by("applied_at", "number"))
    try:
        number = int(request.GET.get("version", applied[-1].number if applied else 0))
    except ValueError:
        raise Http404("No such version.") from None
    if number == 0:
        terms = applied[0].terms_before if applied else contract_terms(contract)
        amendment = None
    else:
        amendment = next((a for a in applied if a.number == number), None)
        if amendment is None:
            raise Http404("No amendment of that number is in effect.")
        terms = amendment.terms_after
    return render(
        request,
        "contracts/terms_version.html",
        {
            "contract": contract,
            "version": number,
            "amendment": amendment,
            "versions": applied,
            "terms": describe_terms(terms, quality=contract.is_quality_agreement),
        },
    )
