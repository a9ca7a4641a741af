"""The content version that keys the cached, shared parts of pages."""

from django.db import migrations, models


def create_row(apps, schema_editor):
    apps.get_model("lessons", "ContentVersion").objects.get_or_create(pk=1)


class Migration(migrations.Migration):

    dependencies = [
        ('lessons', '0011_dailyscores_shards'),
    ]

    operations = [
        migrations.CreateModel(
            name='ContentVersion',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.PositiveBigIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(create_row, migrations.RunPython.noop),
    ]
