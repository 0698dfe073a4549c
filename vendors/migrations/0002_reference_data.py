from django.db import migrations

SITE_TYPES = [
    ("api", "API"),
    ("drug-product", "Drug product"),
    ("biologics", "Biologics"),
    ("sterile", "Sterile"),
    ("packaging", "Packaging"),
    ("laboratory", "Laboratory"),
    ("warehouse", "Warehouse"),
]
ROLES = ["Sourcing", "QA", "Manager", "Admin"]


def forwards(apps, schema_editor):
    SiteType = apps.get_model("vendors", "SiteType")
    Group = apps.get_model("auth", "Group")
    for code, name in SITE_TYPES:
        SiteType.objects.get_or_create(code=code, defaults={"name": name})
    for role in ROLES:
        Group.objects.get_or_create(name=role)


class Migration(migrations.Migration):
    dependencies = [
        ("vendors", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
