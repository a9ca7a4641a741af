"""Split each day's DailyScores row into shards, so answers stop queueing on one row.

The old rows carry over as shard 0: a day's figures are the sum of its shards.
"""

from django.db import migrations, models


def copy_days(apps, schema_editor):
    Old = apps.get_model("lessons", "DailyScores")
    New = apps.get_model("lessons", "DailyScoresSharded")
    New.objects.bulk_create(
        New(
            day=row.day,
            shard=0,
            answers=row.answers,
            answer_score_sum=row.answer_score_sum,
            attempts=row.attempts,
            attempt_score_sum=row.attempt_score_sum,
        )
        for row in Old.objects.all()
    )


class Migration(migrations.Migration):
    dependencies = [("lessons", "0010_lesson_revision_from_files")]

    operations = [
        migrations.CreateModel(
            name="DailyScoresSharded",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("day", models.DateField()),
                ("shard", models.PositiveSmallIntegerField(default=0)),
                ("answers", models.PositiveIntegerField(default=0)),
                ("answer_score_sum", models.FloatField(default=0)),
                ("attempts", models.PositiveIntegerField(default=0)),
                ("attempt_score_sum", models.FloatField(default=0)),
            ],
            options={"verbose_name_plural": "daily scores"},
        ),
        migrations.RunPython(copy_days, migrations.RunPython.noop),
        migrations.DeleteModel(name="DailyScores"),
        migrations.RenameModel(old_name="DailyScoresSharded", new_name="DailyScores"),
        migrations.AddConstraint(
            model_name="dailyscores",
            constraint=models.UniqueConstraint(fields=("day", "shard"), name="dailyscores_one_per_day_shard"),
        ),
    ]
