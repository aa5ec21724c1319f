# Personal identifiers encrypted at rest, step 1 of 3: the columns.
#
# resident_id and mobile become text columns holding Fernet tokens (a token is far longer than
# the 18 or 11 characters of the plaintext), address is new, and resident_id_index holds the
# HMAC blind index that takes over the uniqueness of ID numbers: tokens of the same number
# differ, so the old unique constraint on resident_id could no longer see a duplicate.
# 0004 encrypts the rows already there; 0005 puts the unique constraint on the index.

import accounts.fields
import accounts.identity
import accounts.models
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_session_salt_for_log_out_everywhere'),
        ('auth', '0012_alter_user_first_name_max_length'),
    ]

    operations = [
        migrations.AlterModelManagers(
            name='user',
            managers=[
                ('objects', accounts.models.UserManager()),
            ],
        ),
        migrations.RemoveConstraint(
            model_name='user',
            name='unique_resident_id',
        ),
        migrations.AlterField(
            model_name='user',
            name='resident_id',
            field=accounts.fields.EncryptedTextField(blank=True, max_length=18, validators=[accounts.identity.validate_resident_id], verbose_name='resident ID number'),
        ),
        migrations.AlterField(
            model_name='user',
            name='mobile',
            field=accounts.fields.EncryptedTextField(blank=True, max_length=11, validators=[accounts.identity.validate_mobile], verbose_name='mobile'),
        ),
        migrations.AddField(
            model_name='user',
            name='address',
            field=accounts.fields.EncryptedTextField(blank=True, max_length=200, verbose_name='address'),
        ),
        migrations.AddField(
            model_name='user',
            name='resident_id_index',
            field=accounts.fields.BlindIndexField(blank=True, db_index=True, default='', editable=False, kind='resident_id', max_length=64, source='resident_id', verbose_name='resident ID number blind index'),
        ),
    ]
