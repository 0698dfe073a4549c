from django.db import migrations
from django.utils import timezone

from audits.question_bank import SECTIONS, TEMPLATE_DESCRIPTION, TEMPLATE_NAME


def load(apps, schema_editor):
    Template = apps.get_model("audits", "ChecklistTemplate")
    Version = apps.get_model("audits", "TemplateVersion")
    Section = apps.get_model("audits", "ChecklistSection")
    Question = apps.get_model("audits", "ChecklistQuestion")
    template, created = Template.objects.get_or_create(
        name=TEMPLATE_NAME, defaults={"description": TEMPLATE_DESCRIPTION}
    )
    if not created:
        return
    version = Version.objects.create(
        template=template,
        number=1,
        status="published",
        published_at=timezone.now(),
        notes="Default checklist shipped with CMOselect.",
    )
    for position, (title, description, questions) in enumerate(SECTIONS, start=1):
        section = Section.objects.create(
            version=version, position=position, title=title, description=description
        )
        Question.objects.bulk_create(
            Question(section=section, position=number, **question)
            for number, question in enumerate(questions, start=1)
        )


def unload(apps, schema_editor):
    Template = apps.get_model("audits", "ChecklistTemplate")
    Version = apps.get_model("audits", "TemplateVersion")
    Audit = apps.get_model("audits", "Audit")
    Question = apps.get_model("audits", "ChecklistQuestion")
    Section = apps.get_model("audits", "ChecklistSection")
    versions = Version.objects.filter(template__name=TEMPLATE_NAME)
    if Audit.objects.filter(template_version__in=versions).exists():
        return  # audits use it: keep it
    Question.objects.filter(section__version__in=versions).delete()
    Section.objects.filter(version__in=versions).delete()
    versions.delete()
    Template.objects.filter(name=TEMPLATE_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("audits", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
