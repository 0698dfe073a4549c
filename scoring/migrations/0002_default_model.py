from django.db import migrations

DEFAULT_CRITERIA = [
    # code, name, source, weight, knock-out
    ("capability_fit", "Capability fit", "capability_fit", 20, True),
    ("compliance", "Regulatory compliance", "compliance", 20, True),
    ("audit_outcome", "Audit outcome", "audit_outcome", 15, True),
    ("quality_agreement", "Quality agreement", "quality_agreement", 5, False),
    ("capacity_fit", "Capacity fit", "capacity_fit", 10, False),
    ("supply_risk", "Supply risk", "supply_risk", 10, False),
    ("cost", "Cost per unit", "cost", 10, False),
    ("communication", "Communication and project management", "rating", 5, False),
    ("financial_stability", "Financial stability", "rating", 5, False),
]


def forwards(apps, schema_editor):
    ScoringModel = apps.get_model("scoring", "ScoringModel")
    ModelVersion = apps.get_model("scoring", "ModelVersion")
    Criterion = apps.get_model("scoring", "Criterion")
    model, created = ScoringModel.objects.get_or_create(
        name="Standard CMO qualification",
        defaults={
            "is_default": True,
            "description": "Capability, compliance and audit first; capacity, supply risk, "
            "cost and the team's ratings after.",
        },
    )
    if not created:
        return
    version = ModelVersion.objects.create(scoring_model=model, number=1, note="Shipped default")
    for position, (code, name, source, weight, knockout) in enumerate(DEFAULT_CRITERIA):
        Criterion.objects.create(
            version=version,
            code=code,
            name=name,
            source=source,
            weight=weight,
            knockout=knockout,
            position=position,
        )


class Migration(migrations.Migration):
    dependencies = [("scoring", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
