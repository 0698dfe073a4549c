import cmoselect.pdf
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("scoring", "0004_history_reason_text"),
    ]

    operations = [
        # Renamed, not replaced, so reports rendered before keep their file, time and hash.
        migrations.RenameField(model_name="comparisonreport", old_name="pdf", new_name="file"),
        migrations.RenameField(
            model_name="comparisonreport", old_name="rendered_at", new_name="finished_at"
        ),
        migrations.RenameField(
            model_name="comparisonreport", old_name="scores_hash", new_name="fingerprint"
        ),
        migrations.AlterField(
            model_name="comparisonreport",
            name="file",
            field=models.FileField(
                blank=True, max_length=300, upload_to=cmoselect.pdf.report_upload_to
            ),
        ),
        migrations.AlterField(
            model_name="comparisonreport",
            name="status",
            field=models.CharField(
                choices=[
                    ("queued", "Queued"),
                    ("rendering", "Rendering"),
                    ("ready", "Ready"),
                    ("failed", "Failed"),
                ],
                default="queued",
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="comparisonreport",
            name="started_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        # The signing time is the signature manifest's, set by the service, not by the insert.
        migrations.AlterField(
            model_name="decision",
            name="signed_at",
            field=models.DateTimeField(default=django.utils.timezone.now, editable=False),
        ),
    ]
