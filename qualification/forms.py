from django import forms

from qualification.models import NotifiedChange, RiskClass, SiteQualification
from vendors.forms import ChangeReasonMixin


class QualificationForm(ChangeReasonMixin, forms.ModelForm):
    """QA's edit of an entry: status, conditions and scope, with the reason kept in history."""

    class Meta:
        model = SiteQualification
        fields = ["status", "conditions", "capabilities", "products"]
        widgets = {
            "conditions": forms.Textarea(attrs={"rows": 3}),
            "products": forms.Textarea(attrs={"rows": 3}),
            "capabilities": forms.CheckboxSelectMultiple,
        }


class RiskOverrideForm(forms.Form):
    risk_class = forms.ChoiceField(
        label="Risk class",
        choices=[("", "As computed (no override)"), *RiskClass.choices],
        required=False,
        help_text="Sets the requalification interval until the override is removed.",
    )
    reason = forms.CharField(
        required=False,  # the service words the error
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept in the record's history.",
    )


class NotifiedChangeForm(ChangeReasonMixin, forms.ModelForm):
    """Record a change the CMO notified, or correct or assess one (with the reason kept)."""

    class Meta:
        model = NotifiedChange
        fields = [
            "notified_on",
            "title",
            "category",
            "significance",
            "description",
            "assessment",
            "assessment_notes",
        ]
        widgets = {
            "notified_on": forms.DateInput(attrs={"type": "date"}),
            "significance": forms.RadioSelect,
            "description": forms.Textarea(attrs={"rows": 3}),
            "assessment_notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Major or minor, nothing else: no empty radio button.
        self.fields["significance"].choices = NotifiedChange.Significance.choices
