from django import forms
from django.db.models import QuerySet

from cmoselect.countries import countries_in, country_options
from cmoselect.forms import StatusMoveForm
from cmoselect.widgets import SearchPicker
from vendors.models import (
    CONFIRMED_STATUSES,
    Capability,
    CapabilityLevel,
    Certificate,
    Citation,
    Cmo,
    Contact,
    Establishment,
    QualificationStatus,
    RegulatoryEvent,
    Site,
    normalize_fei,
)


def pickable_cmos() -> QuerySet:
    """The CMOs a picker offers, as its search endpoint and its form field read them."""
    return Cmo.objects.current().with_site_counts().order_by("legal_name")


def pickable_sites() -> QuerySet:
    """The sites a picker offers, as its search endpoint and its form field read them."""
    return Site.objects.current().select_related("cmo").order_by("name", "cmo__legal_name", "pk")


def cmo_picker(*, empty_label: str = "") -> SearchPicker:
    """The search box that picks a CMO, for forms and filters alike."""
    return SearchPicker(
        search_url="vendors:cmo_search",
        placeholder="Name, FEI, city or country",
        empty_label=empty_label,
    )


def site_picker(*, empty_label: str = "") -> SearchPicker:
    """The search box that picks a site, for forms and filters alike."""
    return SearchPicker(
        search_url="vendors:site_search",
        placeholder="Name, CMO, FEI, city or country",
        empty_label=empty_label,
    )


class CmoPickerField(forms.ModelChoiceField):
    """A CMO, found by name, alias, a site's FEI or city, or the country."""

    def __init__(self, *, queryset=None, **kwargs):
        kwargs.setdefault("widget", cmo_picker())
        super().__init__(queryset=pickable_cmos() if queryset is None else queryset, **kwargs)


class SitePickerField(forms.ModelChoiceField):
    """A site, found by name, CMO, FEI, city or country."""

    def __init__(self, *, queryset=None, **kwargs):
        kwargs.setdefault("widget", site_picker())
        super().__init__(queryset=pickable_sites() if queryset is None else queryset, **kwargs)


class ChangeReasonMixin(forms.Form):
    """Edits to a regulated record say why; the reason is kept in its history."""

    change_reason = forms.CharField(
        label="Reason for change",
        max_length=250,
        help_text="Kept in the record's history.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.pk:
            del self.fields["change_reason"]


class CmoForm(ChangeReasonMixin, forms.ModelForm):
    class Meta:
        model = Cmo
        fields = [
            "legal_name",
            "aliases",
            "headquarters_country",
            "website",
            "ownership_type",
            "parent_company",
            "employee_range",
            "duns_number",
            "description",
        ]
        widgets = {
            "aliases": forms.Textarea(attrs={"rows": 3}),
            "description": forms.Textarea(attrs={"rows": 4}),
        }


class SiteForm(ChangeReasonMixin, forms.ModelForm):
    class Meta:
        model = Site
        fields = [
            "name",
            "address_line1",
            "address_line2",
            "city",
            "state",
            "postal_code",
            "country",
            "fei_number",
            "duns_number",
            "site_types",
            "headcount",
            "notes",
        ]
        widgets = {
            "site_types": forms.CheckboxSelectMultiple,
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def clean_fei_number(self) -> str:
        fei = normalize_fei(self.cleaned_data["fei_number"])
        if Site.objects.fei_in_use(fei, exclude_pk=self.instance.pk):
            raise forms.ValidationError("Another site already has this FEI number.")
        return fei


class ContactForm(ChangeReasonMixin, forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["name", "role", "email", "phone", "site", "is_primary"]

    def __init__(self, *args, cmo: Cmo, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = cmo.sites.all()


class StatusChangeForm(StatusMoveForm):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        help_text="Required. Recorded with your name and the time.",
    )

    def __init__(self, *args, allowed: list[str], **kwargs):
        super().__init__(
            *args,
            choices=[(value, QualificationStatus(value).label) for value in allowed],
            confirm=CONFIRMED_STATUSES,
            why="it stops all work with the CMO or site until it is qualified again.",
            **kwargs,
        )


class RegulatoryEventForm(ChangeReasonMixin, forms.ModelForm):
    class Meta:
        model = RegulatoryEvent
        fields = [
            "kind",
            "agency",
            "event_date",
            "reference",
            "classification",
            "project_area",
            "product_type",
            "product_id",
            "citations_posted",
            "description",
            "reason",
            "status",
            "url",
            "closed_on",
            "notes",
        ]
        widgets = {
            "event_date": forms.DateInput(attrs={"type": "date"}),
            "closed_on": forms.DateInput(attrs={"type": "date"}),
            "description": forms.Textarea(attrs={"rows": 2}),
            "reason": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }
        labels = {"reason": "Reason given for the event"}
        help_texts = {
            "reason": "Part of the event itself: why the agency acted, e.g. the recall reason "
            "as published."
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Two reasons on one form: the event's own, and why this edit is made.
        if "change_reason" in self.fields:
            self.fields["change_reason"].label = "Reason for this change"
            self.fields[
                "change_reason"
            ].help_text = "Why you are editing this event. Kept in its history, not in the event."


class CitationForm(ChangeReasonMixin, forms.ModelForm):
    class Meta:
        model = Citation
        fields = ["act_cfr_number", "short_description", "long_description", "program_area"]
        help_texts = {
            "act_cfr_number": "As on the Form 483, e.g. 21 CFR 211.192.",
            "short_description": "The observation in one line, as the FDA lists it.",
            "long_description": "The observation's full text.",
        }
        widgets = {"long_description": forms.Textarea(attrs={"rows": 3})}


class CitationRemoveForm(forms.Form):
    change_reason = forms.CharField(
        label="Reason for removal",
        max_length=250,
        help_text="Kept with the citation in the inspection's history.",
    )


class CapabilityCellForm(forms.Form):
    level = forms.TypedChoiceField(
        choices=[("", "— not offered")] + list(CapabilityLevel.choices),
        coerce=int,
        empty_value=None,
        required=False,
    )
    change_reason = forms.CharField(
        label="Reason", max_length=250, required=False, help_text="Kept in the cell's history."
    )


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label="FDA export (.csv or .xlsx)",
        help_text="DECRS establishment registrations, or a Data Dashboard export of inspections, "
        "citations, compliance actions, published 483s or recalls.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )
    create_missing = forms.BooleanField(
        label="Create missing sites",
        required=False,
        help_text="Add a prospect CMO and site for FEI numbers that match no site.",
    )


class MatrixFilterForm(forms.Form):
    view = forms.ChoiceField(
        choices=[("cmos", "CMOs"), ("sites", "Sites")], required=False, initial="cmos"
    )
    q = forms.CharField(label="Search", required=False)
    category = forms.MultipleChoiceField(
        choices=Capability.Category.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    # Only the countries that have sites: a filter that can only find nothing is no help.
    country = forms.ChoiceField(required=False)
    status = forms.ChoiceField(
        choices=[("", "Any status")] + list(QualificationStatus.choices), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", "Any country")] + country_options(countries_in(Site))


class AddToDirectoryForm(forms.Form):
    """Add chosen registry establishments to the directory, saying why."""

    establishments = forms.ModelMultipleChoiceField(
        queryset=Establishment.objects.all(),
        widget=forms.MultipleHiddenInput,
        error_messages={"required": "Choose at least one establishment to add."},
    )
    cmo = CmoPickerField(
        required=False,
        label="Under the CMO",
        help_text="Leave empty to use (or create) the CMO of each registrant.",
    )
    reason = forms.CharField(
        label="Why add them",
        max_length=250,
        help_text="Kept in the history of the CMOs and sites created.",
    )


class CmoMergeForm(forms.Form):
    """Merge a duplicate CMO into this one, saying why they are the same."""

    merged = CmoPickerField(
        label="The duplicate to merge into this one",
        help_text="It is kept, marked merged, and its records move here.",
    )
    reason = forms.CharField(
        label="Why are they the same",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept in the history of both records.",
    )


class SiteMergeForm(CmoMergeForm):
    """Merge a duplicate site of the same CMO into this one, saying why they are the same."""

    merged = SitePickerField(
        label="The duplicate to merge into this one",
        help_text="A site of the same CMO. It is kept, marked merged, and its records move here.",
    )


class CertificateForm(ChangeReasonMixin, forms.ModelForm):
    """Record a site's certificate with its file, or correct one (the file then optional)."""

    file = forms.FileField(
        label="Certificate file",
        help_text="PDF, scan (JPEG, PNG) or Word document.",
        widget=forms.FileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,.docx,.doc"}),
    )

    class Meta:
        model = Certificate
        fields = ["kind", "reference", "issuer", "issued_on", "valid_until", "notes"]
        widgets = {
            "issued_on": forms.DateInput(attrs={"type": "date"}),
            "valid_until": forms.DateInput(attrs={"type": "date"}),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, replacing: Certificate | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["file"].required = False
            self.fields["file"].help_text = "Only to correct the file; a renewal is a replacement."
        if replacing is not None:
            self.fields["kind"].disabled = True
            self.fields["kind"].initial = replacing.kind
            self.fields["file"].label = "New certificate file"
            self.fields["change_reason"] = forms.CharField(
                label="Reason for replacement",
                max_length=250,
                help_text="e.g. renewed after re-inspection. Kept in both versions' history.",
            )


class CertificateRemoveForm(forms.Form):
    change_reason = forms.CharField(
        label="Reason for removal",
        max_length=250,
        help_text="Kept in the certificate's history.",
    )
