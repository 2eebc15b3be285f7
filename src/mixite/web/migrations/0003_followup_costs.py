from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("web", "0002_followup_and_runs"),
    ]

    operations = [
        migrations.AddField(
            model_name="relocationcase",
            name="cost_before",
            field=models.FloatField(
                blank=True, null=True, verbose_name="reste à charge avant (€/mois)"
            ),
        ),
        migrations.AddField(
            model_name="relocationcase",
            name="cost_after",
            field=models.FloatField(
                blank=True, null=True, verbose_name="reste à charge après (€/mois)"
            ),
        ),
    ]
