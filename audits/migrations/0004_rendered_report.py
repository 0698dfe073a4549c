import cmoselect.pdf
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("audits", "0003_history_reason_text"),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditreport",
            name="file",
            field=models.FileField(
                blank=True, max_length=300, upload_to=cmoselect.pdf.report_upload_to
            ),
        ),
    ]
