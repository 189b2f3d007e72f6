from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("xet", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="xetfile",
            name="sha256_verified",
            field=models.BooleanField(default=False),
        ),
    ]
