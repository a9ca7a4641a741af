"""Mark the revisions whose text the course files held, so a re-import can tell studio work from its own."""

from django.db import migrations, models

IMPORT_NOTE = "Imported from the course files"


def mark_from_files(apps, schema_editor):
    LessonRevision = apps.get_model("lessons", "LessonRevision")
    LessonRevision.objects.filter(author__isnull=True, note=IMPORT_NOTE).update(from_files=True)


class Migration(migrations.Migration):
    dependencies = [("lessons", "0009_keep_answers_as_graded")]

    operations = [
        migrations.AddField(
            model_name="lessonrevision",
            name="from_files",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(mark_from_files, migrations.RunPython.noop),
    ]
