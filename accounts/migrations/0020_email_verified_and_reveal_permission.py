from django.db import migrations, models


class Migration(migrations.Migration):
    """Password resets go only to an e-mail address its holder proved to read; the admin shows
    ID numbers and mobiles masked, and revealing them is a right of its own (issue 14)."""

    dependencies = [
        ("accounts", "0009_user_elderly_mode"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="email_verified_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="e-mail verified"),
        ),
        migrations.AlterModelOptions(
            name="user",
            options={
                "permissions": [
                    (
                        "reveal_personal_identifiers",
                        "Can reveal ID numbers and mobiles, audited",
                    )
                ],
                "verbose_name": "user",
                "verbose_name_plural": "users",
            },
        ),
    ]
