from django import forms
from django.contrib.auth import get_user_model

from cmoselect.roles import ROLES
from scoring.models import Criterion, Decision, Evaluation, ScoringModel, Source
from scoring.services import FORWARD_STATUSES
from vendors.models import Capability, CapabilityLevel, Cmo, QualificationStatus


class EvaluationForm(forms.ModelForm):
    change_reason = forms.CharField(
        label="Reason for change", max_length=100, help_text="Kept in the evaluation's history."
    )

    class Meta:
        model = Evaluation
        fields = [*Evaluation.BRIEF_FIELDS, "scoring_model", "team"]
        widgets = {
            "needed_from": forms.DateInput(attrs={"type": "date"}),
            "team": forms.SelectMultiple(attrs={"size": 5}),
        }

    def __init__(self, *args, candidates=None, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.pk:
            del self.fields["change_reason"]
        if candidates is not None and not self.instance.pk:
            # The CMOs chosen in a needs search, added as candidates when the evaluation is made.
            self.fields["candidates"] = forms.ModelMultipleChoiceField(
                candidates,
                required=False,
                widget=forms.CheckboxSelectMultiple,
                label="Candidates from the needs search",
                help_text="Added as candidates when the evaluation is created.",
            )
            self.initial.setdefault("candidates", list(candidates))
        self.fields["team"].queryset = (
            get_user_model()
            .objects.filter(is_active=True, groups__name__in=ROLES)
            .distinct()
            .order_by("username")
        )
        self.fields["scoring_model"].empty_label = None
        self.fields["scoring_model"].queryset = ScoringModel.objects.shared()
        if not self.instance.pk:
            self.initial.setdefault(
                "scoring_model", ScoringModel.objects.filter(is_default=True).first()
            )


class NeedForm(forms.Form):
    capability = forms.ModelChoiceField(
        Capability.objects.all(), required=False, label="Capability"
    )
    min_level = forms.TypedChoiceField(
        choices=CapabilityLevel.choices,
        coerce=int,
        initial=CapabilityLevel.DEMONSTRATED,
        label="At least",
    )


class BaseNeedFormSet(forms.BaseFormSet):
    def clean(self) -> dict:
        seen = set()
        for form in self.forms:
            capability = form.cleaned_data.get("capability") if form.is_valid() else None
            if capability is None:
                continue
            if capability.pk in seen:
                raise forms.ValidationError(f"{capability} is listed twice.")
            seen.add(capability.pk)

    def needs(self) -> list[tuple[int, int]]:
        return [
            (f.cleaned_data["capability"].pk, f.cleaned_data["min_level"])
            for f in self.forms
            if f.cleaned_data.get("capability")
        ]


NeedFormSet = forms.formset_factory(NeedForm, formset=BaseNeedFormSet, extra=3)


class EnteredScoreForm(forms.Form):
    """One entered criterion of a candidate: a price per unit, or a 1–5 rating."""

    criterion = forms.SlugField(widget=forms.HiddenInput)
    value = forms.DecimalField(max_digits=14, decimal_places=4)
    justification = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        help_text="Why this value: it is kept in the history.",
    )

    def __init__(self, *args, criterion: Criterion, **kwargs):
        kwargs.setdefault("prefix", criterion.code)
        super().__init__(*args, **kwargs)
        self.criterion = criterion
        self.initial.setdefault("criterion", criterion.code)
        # A hint to the browser; the rule itself is entered_score_save's, shown beside the field.
        value = self.fields["value"]
        if criterion.source == Source.RATING:
            value.label = f"{criterion.name}: rating (1–5)"
            value.widget.attrs.update(min=1, max=5, step=1)
        else:
            value.label = f"{criterion.name}: price per unit"
            value.widget.attrs.update(min="0.0001", step="any")

    def clean_criterion(self) -> str:
        code = self.cleaned_data["criterion"]
        if code != self.criterion.code:
            raise forms.ValidationError(
                f"This form enters {self.criterion.name}; reload the page and try again."
            )
        return code


def needs_from_query(values: list[str]) -> list[tuple[int, int]]:
    """Needs given as `<capability id>:<minimum level>` (as the needs search passes them on);
    ones that are not well formed are left out: the form they prefill checks the rest."""
    needs = []
    for raw in values:
        capability, _, level = raw.partition(":")
        if capability.isdigit() and level.isdigit() and int(level) in CapabilityLevel.values:
            needs.append((int(capability), int(level)))
    return needs


class AddToEvaluationForm(forms.Form):
    """CMOs chosen in a needs search, added to an open evaluation."""

    evaluation = forms.ModelChoiceField(
        Evaluation.objects.all(),
        label="Evaluation",
        empty_label="Choose an open evaluation",
        help_text="Only open evaluations take new candidates.",
    )
    cmos = forms.ModelMultipleChoiceField(
        Cmo.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        label="CMOs to add",
        error_messages={"required": "Tick at least one CMO to add."},
    )

    def __init__(self, *args, cmos, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cmos"].queryset = cmos
        self.initial.setdefault("cmos", list(cmos))
        # Only open evaluations are offered; any other is refused by the service, beside the field.
        self.fields["evaluation"].widget.choices = [("", "Choose an open evaluation")] + [
            (e.pk, e.name) for e in Evaluation.objects.open().order_by("name")
        ]


class DecisionForm(forms.Form):
    candidate = forms.ModelChoiceField(queryset=None, label="Selected CMO", empty_label=None)
    meaning = forms.ChoiceField(
        choices=Decision.Meaning.choices, widget=forms.RadioSelect, label="Meaning of signature"
    )
    rationale = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), label="Reasons for the decision"
    )
    new_status = forms.ChoiceField(
        choices=[("", "Leave the qualification status as it is")]
        + [(s.value, f"Move to {s.label}") for s in map(QualificationStatus, FORWARD_STATUSES)],
        required=False,
        label="Qualification status of the selected CMO",
    )
    password = forms.CharField(
        widget=forms.PasswordInput, label="Your password", help_text="Re-enter it to sign."
    )

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["candidate"].queryset = candidates
        self.fields["candidate"].label_from_instance = lambda c: (
            f"{c.cmo.legal_name} (rank {c.rank}, {c.total:.1f})" if c.rank else c.cmo.legal_name
        )


class ScoringModelForm(forms.Form):
    name = forms.CharField(max_length=120)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    based_on = forms.ModelChoiceField(
        ScoringModel.objects.shared(), empty_label=None, label="Start from the criteria of"
    )


class CriterionForm(forms.Form):
    code = forms.SlugField(max_length=40, required=False)
    name = forms.CharField(max_length=80, required=False)
    source = forms.ChoiceField(choices=Source.choices, initial=Source.RATING)
    weight = forms.IntegerField(min_value=0, max_value=100, initial=0)
    knockout = forms.BooleanField(required=False, label="Knock-out")

    def clean(self) -> dict:
        data = super().clean()
        if data.get("name") and not data.get("code"):
            self.add_error("code", "Give the criterion a short code, e.g. sustainability.")
        if data.get("code") and not data.get("name"):
            self.add_error("name", "Give the criterion a name.")
        return data


CriterionFormSet = forms.formset_factory(CriterionForm, extra=1)


class VersionNoteForm(forms.Form):
    note = forms.CharField(
        max_length=250, label="Why the weights change", help_text="Kept with the version."
    )
