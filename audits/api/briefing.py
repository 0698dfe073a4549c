"""The pre-audit briefing of an audit, as the audit page shows it (`audits.briefing`)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from audits.briefing import OTHER, SUBPARTS


class BriefingItemSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["citation", "warning_letter"])
    event_date = serializers.DateField()
    reference = serializers.CharField(help_text="The Act/CFR number, or the letter's reference.")
    text = serializers.CharField(help_text="The citation's description, or the letter's subject.")
    event = serializers.IntegerField(source="event_id", help_text="The regulatory event.")
    sections = serializers.ListField(
        child=serializers.CharField(), help_text='The CFR sections it names, e.g. "211.192".'
    )


class BriefingGroupSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=[s.code for s in SUBPARTS] + [OTHER])
    title = serializers.CharField()
    label = serializers.CharField()
    checklist_sections = serializers.ListField(
        child=serializers.CharField(), help_text="The checklist sections it concerns."
    )
    items = BriefingItemSerializer(many=True)


class FocusSectionSerializer(serializers.Serializer):
    section = serializers.CharField(help_text="A checklist section title (lower case).")
    because = serializers.ListField(child=serializers.CharField())


class BriefingSerializer(serializers.Serializer):
    since = serializers.DateField()
    until = serializers.DateField()
    citation_count = serializers.IntegerField()
    warning_letter_count = serializers.IntegerField()
    groups = BriefingGroupSerializer(many=True)
    focus_sections = serializers.SerializerMethodField()
    cited_sections = serializers.DictField(
        child=serializers.IntegerField(),
        help_text='Each cited 21 CFR 211 section ("211.192") and how many items cite it.',
    )

    @extend_schema_field(FocusSectionSerializer(many=True))
    def get_focus_sections(self, briefing) -> list[dict]:
        return [
            {"section": title, "because": labels}
            for title, labels in briefing.focus_sections.items()
        ]
