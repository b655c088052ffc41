from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0003_governance"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="sso_subject",
            field=models.CharField(
                blank=True, max_length=255, null=True, unique=True, verbose_name="single sign-on id",
                help_text="The council identity provider's id for this person (oid, otherwise sub), kept at "
                          "their first sign-in with their council account.",
            ),
        ),
    ]
