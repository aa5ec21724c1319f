# Personal identifiers encrypted at rest, step 3 of 3: one account per ID number again, now
# enforced on the blind index that 0004 filled.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_encrypt_existing_personal_identifiers'),
    ]

    operations = [
        migrations.AddConstraint(
            model_name='user',
            constraint=models.UniqueConstraint(condition=models.Q(('resident_id_index', ''), _negated=True), fields=('resident_id_index',), name='unique_resident_id_index', violation_error_code='duplicate_resident_id', violation_error_message='An account with this resident ID number already exists.'),
        ),
    ]
