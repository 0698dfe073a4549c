from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from audits.models import (
    SEVERITY_DEFINITIONS,
    Audit,
    ChecklistQuestion,
    ChecklistSection,
    ChecklistTemplate,
    Finding,
    Severity,
    Signature,
    TemplateVersion,
)
from cmoselect.forms import StatusMoveForm
from cmoselect.roles import ADMIN, QA
from cmoselect.uploads import ACCEPT_ATTRIBUTE
from vendors.forms import ChangeReasonMixin, SitePickerField


def auditors() -> QuerySet:
    return (
        get_user_model()
        .objects.filter(Q(groups__name__in=[QA, ADMIN]) | Q(is_superuser=True), is_active=True)
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.username


class UsersChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.username


class TemplateForm(forms.ModelForm):
    class Meta:
        model = ChecklistTemplate
        fields = ["name", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class TemplateImportForm(forms.Form):
    file = forms.FileField(
        help_text="A checklist exported from CMOselect as JSON, CSV or XLSX. It becomes a new "
        "draft version (of the template with the same name, or of a new template).",
        widget=forms.ClearableFileInput(attrs={"accept": ".json,.csv,.xlsx"}),
    )
    name = forms.CharField(
        max_length=150,
        required=False,
        help_text="Template name for CSV/XLSX files (JSON files carry their own).",
    )


class PublishForm(forms.Form):
    # Required by the service, which words the error; the form only carries the text.
    notes = forms.CharField(
        label="What changed",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept on the version and shown on its page and in the version list.",
    )


class SectionForm(forms.ModelForm):
    class Meta:
        model = ChecklistSection
        fields = ["title", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}


class QuestionForm(forms.ModelForm):
    class Meta:
        model = ChecklistQuestion
        fields = ["section", *ChecklistQuestion.CONTENT_FIELDS]
        widgets = {
            "text": forms.Textarea(attrs={"rows": 2}),
            "guidance": forms.Textarea(attrs={"rows": 2}),
            "evidence_expected": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, version: TemplateVersion, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["section"].queryset = version.sections.all()
        self.fields["section"].empty_label = None


class AuditForm(ChangeReasonMixin, forms.ModelForm):
    site = SitePickerField(label="Site")
    lead_auditor = UserChoiceField(queryset=auditors())
    team = UsersChoiceField(
        queryset=auditors(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Audit team",
    )

    class Meta:
        model = Audit
        fields = [
            "site",
            "template_version",
            "audit_type",
            "planned_start",
            "planned_end",
            "lead_auditor",
            "team",
            "scope",
            "capabilities",
            "products",
        ]
        widgets = {
            "planned_start": forms.DateInput(attrs={"type": "date"}),
            "planned_end": forms.DateInput(attrs={"type": "date"}),
            "scope": forms.Textarea(attrs={"rows": 3}),
            "products": forms.Textarea(attrs={"rows": 2}),
            "capabilities": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead_auditor"].queryset = auditors()
        self.fields["team"].queryset = auditors()
        versions = TemplateVersion.objects.published().select_related("template")
        if self.instance.pk:
            # The checklist is fixed once answers exist, even after a later version supersedes it.
            versions = TemplateVersion.objects.filter(pk=self.instance.template_version_id)
            self.fields["template_version"].disabled = True
        self.fields["template_version"].queryset = versions
        self.fields["template_version"].empty_label = None

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("planned_start"), data.get("planned_end")
        if start and end and end < start:
            self.add_error("planned_end", "The audit cannot end before it starts.")
        return data


class AuditStatusForm(StatusMoveForm):
    reason = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required to cancel, or to send an audit back from review.",
    )
    justification = forms.CharField(
        label="Justification for unanswered questions",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Needed to send an audit to review with questions unanswered (or marked not "
        "applicable without a reason); printed in the report.",
    )

    def __init__(self, *args, audit: Audit, **kwargs):
        super().__init__(
            *args,
            choices=[(value, Audit.Status(value).label) for value in audit.allowed_statuses()],
            confirm=Audit.TERMINAL_STATUSES,
            why="it cannot be undone.",
            **kwargs,
        )
        self.fields["status"].label = "Next step"
        if Audit.Status.IN_REVIEW not in audit.allowed_statuses():
            del self.fields["justification"]


class SeverityWidget(forms.RadioSelect):
    option_template_name = "audits/_severity_option.html"

    def create_option(self, name, value, *args, **kwargs) -> dict:
        option = super().create_option(name, value, *args, **kwargs)
        if value:
            option["definition"] = SEVERITY_DEFINITIONS[Severity(value)]
        return option


class FindingForm(ChangeReasonMixin, forms.ModelForm):
    capa_due = forms.DateField(
        label="CAPA due date",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Default: 15 days for critical, 30 for major, 90 for minor findings.",
    )

    class Meta:
        model = Finding
        fields = ["severity", "title", "requirement", "description", "evidence"]
        widgets = {
            "severity": SeverityWidget,
            "description": forms.Textarea(attrs={"rows": 4}),
            "evidence": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["severity"].choices = Severity.choices
        if self.instance.pk:
            del self.fields["capa_due"]


class CapaResponseForm(forms.Form):
    root_cause = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    corrective_action = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    preventive_action = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    due_date = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Leave empty to keep the current due date.",
    )


class CapaRejectForm(forms.Form):
    reason = forms.CharField(
        label="Why the response is rejected", widget=forms.Textarea(attrs={"rows": 2})
    )


class CapaVerifyForm(forms.Form):
    notes = forms.CharField(
        label="How the actions were verified", widget=forms.Textarea(attrs={"rows": 2})
    )
    effectiveness_check = forms.CharField(
        label="Effectiveness check",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="How you confirmed that the actions prevent a recurrence.",
    )
    evidence = forms.FileField(
        label="Evidence of the check",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT_ATTRIBUTE}),
    )


class FindingsChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.reference} ({obj.get_severity_display().lower()}) {obj.title}"


class SignatureForm(forms.Form):
    decision = forms.ChoiceField(choices=Signature.Decision.choices, widget=forms.RadioSelect)
    conditions = forms.CharField(
        label="Conditions of the approval",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required when approving with conditions: what must be done, and by when.",
    )
    findings = FindingsChoiceField(
        label="Open findings the conditions depend on",
        queryset=Finding.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Every open major finding must be linked.",
    )
    qualify_site = forms.BooleanField(
        label="Also qualify the site",
        required=False,
        help_text="Approve: the site becomes approved. Approve with conditions: the site becomes "
        "conditionally approved.",
    )
    meaning = forms.ChoiceField(
        label="Meaning of my signature",
        choices=[("", "Choose…"), *Signature.Meaning.choices],
    )
    comment = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required when rejecting.",
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="Re-enter your password to sign.",
    )

    def __init__(self, *args, audit: Audit, decisions: tuple[str, ...], **kwargs):
        super().__init__(*args, **kwargs)
        # Only the outcomes the recommendation allows are offered; the service refuses the rest.
        self.fields["decision"].choices = [
            (value, Signature.Decision(value).label) for value in decisions
        ]
        open_findings = audit.findings.open().by_severity()
        if Signature.Decision.CONDITIONAL in decisions and open_findings.exists():
            self.fields["findings"].queryset = open_findings
        else:
            del self.fields["findings"]
        if Signature.Decision.CONDITIONAL not in decisions:
            del self.fields["conditions"]
            del self.fields["qualify_site"]


class ReviseForm(forms.Form):
    reason = forms.CharField(
        label="Reason for a new revision", widget=forms.Textarea(attrs={"rows": 2})
    )


class EvidenceForm(forms.Form):
    file = forms.FileField(widget=forms.ClearableFileInput(attrs={"accept": ACCEPT_ATTRIBUTE}))
    description = forms.CharField(max_length=250, required=False)
