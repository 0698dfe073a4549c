from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import UploadedFile
from django.forms import BaseInlineFormSet, BoundField, inlineformset_factory
from django.template.defaultfilters import filesizeformat

from cmoselect.forms import StatusMoveForm
from cmoselect.roles import ROLES
from contracts.models import (
    STANDARD_KPIS,
    TERMINAL_STATUSES,
    Contract,
    ContractDocument,
    Kpi,
    KpiMeasurement,
    Milestone,
    ResponsibilityItem,
    ScopeItem,
)
from contracts.uploads import ACCEPT, check_document
from vendors.forms import ChangeReasonMixin, CmoPickerField
from vendors.models import Capability, Cmo, Site


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class ContractForm(ChangeReasonMixin, forms.ModelForm):
    cmo = CmoPickerField(label="CMO")
    FIELDSETS = (
        ("Agreement", ["cmo", "contract_type", "title", "reference", "parent", "sites", "owner"]),
        (
            "Dates and renewal",
            [
                "signed_on",
                "effective_date",
                "expiry_date",
                "auto_renewal",
                "renewal_term_months",
                "notice_period",
                "notice_period_unit",
            ],
        ),
        ("Commercial terms", ["total_value", "currency", "payment_terms", "governing_law"]),
        ("Scope of work", ["scope_summary"]),
        (
            "Intellectual property",
            [
                "background_ip",
                "foreground_ip_owner",
                "foreground_ip_notes",
                "licences",
                "confidentiality_years",
                "know_how",
            ],
        ),
        ("Liability and insurance", ["liability_cap", "liability_notes", "insurance"]),
    )

    class Meta:
        model = Contract
        fields = ["cmo", *Contract.TERM_FIELDS, "owner"]
        widgets = {
            "sites": forms.CheckboxSelectMultiple,
            "signed_on": DateInput(),
            "effective_date": DateInput(),
            "expiry_date": DateInput(),
            "scope_summary": forms.Textarea(attrs={"rows": 3}),
            "background_ip": forms.Textarea(attrs={"rows": 2}),
            "foreground_ip_notes": forms.Textarea(attrs={"rows": 2}),
            "licences": forms.Textarea(attrs={"rows": 2}),
            "know_how": forms.Textarea(attrs={"rows": 2}),
            "liability_notes": forms.Textarea(attrs={"rows": 2}),
            "insurance": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].required = True
        self.fields["owner"].queryset = (
            get_user_model()
            .objects.filter(is_active=True, groups__name__in=ROLES)
            .distinct()
            .order_by("first_name", "last_name", "username")
        )
        self.fields["owner"].label_from_instance = lambda u: u.get_full_name() or u.username
        cmo = self.chosen_cmo()
        if self.instance.pk:
            self.fields["cmo"].disabled = True
        if cmo is None:
            self.fields["sites"].queryset = Site.objects.none()
            self.fields["sites"].help_text = "Choose the CMO first; its sites are listed here."
            self.fields["parent"].queryset = Contract.objects.none()
        else:
            self.fields["sites"].queryset = cmo.sites.order_by("name")
            self.fields["parent"].queryset = (
                cmo.contracts.filter(contract_type=Contract.Type.MSA)
                .exclude(pk=self.instance.pk)
                .order_by("title")
            )
            if not self.fields["sites"].queryset.exists():
                self.fields["sites"].help_text = "This CMO has no sites recorded."

    def chosen_cmo(self) -> Cmo | None:
        if self.instance.pk:
            return self.instance.cmo
        raw = self.data.get("cmo") if self.is_bound else self.initial.get("cmo")
        if isinstance(raw, Cmo):
            return raw
        try:
            return Cmo.objects.filter(pk=int(raw)).first()
        except (TypeError, ValueError):
            return None

    def fieldsets(self) -> list[tuple[str, list[BoundField]]]:
        sets = [(title, [self[name] for name in names]) for title, names in self.FIELDSETS]
        if "change_reason" in self.fields:
            sets.append(("Why", [self["change_reason"]]))
        return sets


class ContractStatusForm(StatusMoveForm):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        help_text="Required. Recorded in the contract's history with your name and the time.",
    )

    def __init__(self, *args, allowed: list[str], **kwargs):
        super().__init__(
            *args,
            choices=[(v, Contract.Status(v).label) for v in allowed],
            confirm=TERMINAL_STATUSES,
            why="it cannot be undone.",
            **kwargs,
        )


class DocumentForm(forms.ModelForm):
    class Meta:
        model = ContractDocument
        fields = ["kind", "title", "file"]
        widgets = {"file": forms.ClearableFileInput(attrs={"accept": ACCEPT})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[
            "file"
        ].help_text = (
            f"PDF or Word (.pdf, .docx, .doc), up to {filesizeformat(settings.MAX_UPLOAD_SIZE)}."
        )

    def clean_file(self) -> UploadedFile:
        upload = self.cleaned_data["file"]
        check_document(upload)
        return upload


class ItemsFormSet(BaseInlineFormSet):
    """Edits one of a contract's term tables."""


class ItemsReasonForm(forms.Form):
    change_reason = forms.CharField(
        label="Reason for change",
        max_length=250,
        required=False,
        help_text="Required when changing or removing rows; kept in the history.",
    )


class ScopeFormSet(ItemsFormSet):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Choices are read once for all rows, not once per row.
        groups: dict[str, list] = {}
        for capability in Capability.objects.order_by("category", "position", "name"):
            groups.setdefault(capability.get_category_display(), []).append(
                (capability.pk, capability.name)
            )
        capability_choices = [("", "—"), *groups.items()]
        site_choices = [("", "—"), *((s.pk, s.name) for s in self.instance.cmo.sites.all())]
        for form in self.forms:
            form.fields["capability"].choices = capability_choices
            form.fields["site"].choices = site_choices
            form.fields["site"].queryset = self.instance.cmo.sites.all()


class KpiFormSet(ItemsFormSet):
    def __init__(self, *args, **kwargs):
        instance = kwargs.get("instance")
        self.extra = 1
        if instance is not None and instance.pk and not instance.kpis.exists():
            self.extra = len(STANDARD_KPIS)
            kwargs.setdefault(
                "initial",
                [
                    {"kind": kind, "target": target, "unit": unit}
                    for kind, target, unit in STANDARD_KPIS
                ],
            )
        super().__init__(*args, **kwargs)


def _formset(model, formset, fields, *, extra=2, widgets=None):
    return inlineformset_factory(
        Contract,
        model,
        formset=formset,
        fields=fields,
        extra=extra,
        can_delete=True,
        widgets=widgets or {},
    )


ScopeItemFormSet = _formset(
    ScopeItem,
    ScopeFormSet,
    ["product", "capability", "service_detail", "site", "annual_volume", "volume_unit"],
)
MilestoneFormSet = _formset(
    Milestone,
    ItemsFormSet,
    ["name", "planned_date", "actual_date", "notes"],
    extra=3,
    widgets={"planned_date": DateInput(), "actual_date": DateInput()},
)
KpiItemFormSet = _formset(
    Kpi, KpiFormSet, ["kind", "name", "target", "unit"], extra=len(STANDARD_KPIS)
)
ResponsibilityFormSet = _formset(
    ResponsibilityItem,
    ItemsFormSet,
    ["activity", "responsible", "notes"],
    extra=1,
)


class KpiMeasurementForm(forms.ModelForm):
    """One period's actual performance against one of the contract's KPIs."""

    class Meta:
        model = KpiMeasurement
        fields = ["kpi", "period_start", "period_end", "actual", "note"]
        labels = {"kpi": "KPI"}
        widgets = {
            "period_start": DateInput(),
            "period_end": DateInput(),
            "note": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, contract: Contract, **kwargs):
        super().__init__(*args, **kwargs)
        kpis = self.fields["kpi"]
        kpis.queryset = contract.kpis.all()
        kpis.label_from_instance = lambda kpi: str(kpi)
        kpis.empty_label = "Choose a KPI"


class AmendmentTermsForm(ContractForm):
    """The contract's terms as an amendment proposes them: the contract form's own fields and
    validation, without the CMO (it never changes) and the owner (not a term)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("cmo", "owner", "change_reason"):
            self.fields.pop(name, None)

    def fieldsets(self) -> list[tuple[str, list[BoundField]]]:
        return [
            (title, [self[name] for name in names if name in self.fields])
            for title, names in self.FIELDSETS
        ]

    def proposed(self) -> dict:
        return {name: self.cleaned_data[name] for name in Contract.TERM_FIELDS}


class AmendmentForm(forms.Form):
    """Why the terms change, from when, and the amendment's signed copy if there is one."""

    reason = forms.CharField(
        label="Why the terms change",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text="As the amendment states it; kept with each change it makes.",
    )
    effective_date = forms.DateField(
        label="Amendment effective from",
        widget=DateInput(),
        help_text="The day the new terms apply from.",
    )
    document = forms.FileField(
        label="Signed amendment",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["document"].help_text = (
            f"Optional. PDF or Word (.pdf, .docx, .doc), up to "
            f"{filesizeformat(settings.MAX_UPLOAD_SIZE)}."
        )

    def clean_document(self) -> UploadedFile:
        upload = self.cleaned_data["document"]
        if upload:
            check_document(upload)
        return upload


class AmendmentDecisionForm(forms.Form):
    note = forms.CharField(
        label="Note",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        required=False,
        help_text="Required to reject or withdraw; kept with the decision.",
    )


class AmendmentWithdrawalForm(AmendmentDecisionForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["note"].required = True
        self.fields["note"].help_text = "Why it is withdrawn; kept with the amendment."
        self.fields["note"].error_messages["required"] = "Say why it is withdrawn."


class AmendmentDocumentForm(forms.Form):
    file = forms.FileField(
        label="Signed amendment", widget=forms.ClearableFileInput(attrs={"accept": ACCEPT})
    )

    def clean_file(self) -> UploadedFile:
        upload = self.cleaned_data["file"]
        check_document(upload)
        return upload
