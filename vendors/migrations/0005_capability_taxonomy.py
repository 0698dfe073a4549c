from django.db import migrations
from django.utils.text import slugify

TAXONOMY = {
    "services": [
        "Formulation development", "Analytical development and QC testing",
        "Clinical trial material", "Commercial manufacturing", "Packaging", "Labeling",
        "Serialization", "Stability studies", "Technology transfer", "Regulatory support",
        "Sterilization",
    ],
    "modalities": [
        "Small-molecule API", "Highly potent API", "Peptides", "Oligonucleotides",
        "Monoclonal antibodies and recombinant proteins", "Vaccines", "Cell and gene therapy",
        "Antibody-drug conjugates", "Radiopharmaceuticals",
    ],
    "dosage_forms": [
        "Tablets", "Capsules", "Oral liquids", "Sterile liquid vials", "Prefilled syringes",
        "Lyophilized products", "Topicals", "Inhalation", "Transdermal",
    ],
    "technologies": [
        "Continuous manufacturing", "Spray drying", "Hot-melt extrusion",
        "Isolator aseptic filling", "Single-use bioreactors", "High containment (OEB 5)",
    ],
    "scale": ["Preclinical", "Phase I–II", "Phase III", "Commercial"],
}
# Where slugify would make two names collide ("Phase I–II" and "Phase III").
CODES = {"Phase I–II": "scale-phase-1-2", "Phase III": "scale-phase-3"}


def forwards(apps, schema_editor):
    Capability = apps.get_model("vendors", "Capability")
    for category, names in TAXONOMY.items():
        for position, name in enumerate(names):
            code = CODES.get(name) or f"{category.replace('_', '-')}-{slugify(name)}"[:60]
            Capability.objects.get_or_create(
                code=code, defaults={"category": category, "name": name, "position": position}
            )


class Migration(migrations.Migration):
    dependencies = [("vendors", "0004_capabilities")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
