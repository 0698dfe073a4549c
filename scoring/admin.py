from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from scoring.models import Criterion, Evaluation, ModelVersion, ScoringModel


class CriterionInline(admin.TabularInline):
    model = Criterion
    extra = 0
    can_delete = False


@admin.register(ScoringModel)
class ScoringModelAdmin(admin.ModelAdmin):
    list_display = ["name", "is_default", "created_at"]


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ["scoring_model", "number", "note", "created_by", "created_at"]
    inlines = [CriterionInline]


@admin.register(Evaluation)
class EvaluationAdmin(SimpleHistoryAdmin):
    list_display = ["name", "product", "phase", "status", "created_at"]
    list_filter = ["status", "phase"]
    search_fields = ["name", "product"]
