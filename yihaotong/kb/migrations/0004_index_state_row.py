"""Create the one IndexState row up front, so that two first publications cannot race to insert it."""

from django.db import migrations


def create_row(apps, schema_editor):
    IndexState = apps.get_model("kb", "IndexState")
    IndexState.objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("kb", "0003_article_proposal")]

    operations = [migrations.RunPython(create_row, migrations.RunPython.noop)]
