from django.contrib import admin

from cmoselect.admin import ReadOnlyAdmin, ReadOnlyHistoryAdmin, ReadOnlyInline
from scoring.models import Criterion, Evaluation, ModelVersion, ScoringModel


class CriterionInline(ReadOnlyInline, admin.TabularInline):
    model = Criterion


@admin.register(ScoringModel)
class ScoringModelAdmin(ReadOnlyAdmin):
    """Which model is the default, and its weights, change on the model's own page, with a reason."""

    list_display = ["name", "is_default", "created_at"]


@admin.register(ModelVersion)
class ModelVersionAdmin(ReadOnlyAdmin):
    list_display = ["scoring_model", "number", "note", "created_by", "created_at"]
    inlines = [CriterionInline]


@admin.register(Evaluation)
class EvaluationAdmin(ReadOnlyHistoryAdmin):
    list_display = ["name", "product", "phase", "status", "created_at"]
    list_filter = ["status", "phase"]
    search_fields = ["name", "product"]
