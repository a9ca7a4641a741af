"""Give questions and choices a stable key, as the course files now carry.

Existing rows were matched to the files by position, so the key the files were given
(q1, q2, ... for questions; a, b, ... for choices) is derived from that same position.
"""

import string

from django.db import migrations, models


def choice_key(order: int) -> str:
    return string.ascii_lowercase[order - 1] if 1 <= order <= 26 else f"c{order}"


def fill_keys(apps, schema_editor):
    Question = apps.get_model("lessons", "Question")
    Choice = apps.get_model("lessons", "Choice")
    for question in Question.objects.all().only("pk", "order"):
        Question.objects.filter(pk=question.pk).update(key=f"q{question.order}")
    for choice in Choice.objects.all().only("pk", "order"):
        Choice.objects.filter(pk=choice.pk).update(key=choice_key(choice.order))


class Migration(migrations.Migration):
    dependencies = [("lessons", "0007_stuck_index")]

    operations = [
        migrations.AddField(
            model_name="question",
            name="key",
            field=models.SlugField(default="", max_length=40, help_text="Stable identity in the quiz's file; never reused."),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="choice",
            name="key",
            field=models.SlugField(
                default="", max_length=40, help_text="Stable identity in the question's file entry; never reused."
            ),
            preserve_default=False,
        ),
        migrations.RunPython(fill_keys, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="question",
            constraint=models.UniqueConstraint(fields=("quiz", "key"), name="question_unique_key_in_quiz"),
        ),
        migrations.AddConstraint(
            model_name="choice",
            constraint=models.UniqueConstraint(fields=("question", "key"), name="choice_unique_key_in_question"),
        ),
    ]
