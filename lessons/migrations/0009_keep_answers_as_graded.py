"""Answers keep the texts the learner saw; choices can be retired instead of deleted.

Existing answers get their snapshot from today's rows: the question's prompt and, for each
id in `choice_ids`, that choice's key, text and correctness. An id whose choice no longer
exists is kept with empty text, so no pick is lost.
"""

from django.db import migrations, models

BATCH = 1000


def snapshot_existing_answers(apps, schema_editor):
    Answer = apps.get_model("lessons", "Answer")
    Question = apps.get_model("lessons", "Question")
    Choice = apps.get_model("lessons", "Choice")
    prompts = dict(Question.objects.values_list("pk", "prompt"))
    choices = {
        pk: {"id": pk, "key": key, "text": text, "correct": correct}
        for pk, key, text, correct in Choice.objects.values_list("pk", "key", "text", "correct")
    }
    batch = []
    for answer in Answer.objects.only("pk", "question_id", "choice_ids").iterator(chunk_size=BATCH):
        answer.prompt_seen = prompts.get(answer.question_id, "")
        answer.picked_seen = [
            choices.get(pk, {"id": pk, "key": "", "text": "", "correct": None}) for pk in answer.choice_ids or []
        ]
        batch.append(answer)
        if len(batch) >= BATCH:
            Answer.objects.bulk_update(batch, ["prompt_seen", "picked_seen"])
            batch = []
    if batch:
        Answer.objects.bulk_update(batch, ["prompt_seen", "picked_seen"])


class Migration(migrations.Migration):
    dependencies = [("lessons", "0008_question_choice_keys")]

    operations = [
        migrations.AddField(
            model_name="answer",
            name="picked_seen",
            field=models.JSONField(
                blank=True, default=list, help_text="[{id, key, text, correct}] of each choice picked, as graded."
            ),
        ),
        migrations.AddField(
            model_name="answer",
            name="prompt_seen",
            field=models.TextField(blank=True, help_text="The question's prompt (Markdown) when it was answered."),
        ),
        migrations.AddField(
            model_name="choice",
            name="retired",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(snapshot_existing_answers, migrations.RunPython.noop),
    ]
