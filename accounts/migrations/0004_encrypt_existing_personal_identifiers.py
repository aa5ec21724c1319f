# Personal identifiers encrypted at rest, step 2 of 3: the rows already there.
#
# Reads and writes the columns with SQL, not through the model: the field would try to decrypt
# the plaintext it finds. Values that are already tokens under a configured key are left alone,
# so running it again (or after a partial run) changes nothing. Needs FIELD_ENCRYPTION_KEYS and
# BLIND_INDEX_KEY, like the portal itself.
#
# Backwards, the values are decrypted again so that 0003 can turn the columns back into
# varchar; the addresses are lost with their column.

from django.db import migrations

BATCH_SIZE = 500
COLUMNS = ("resident_id", "mobile")


def _rows(cursor, qn, table, columns):
    last_id = 0
    while True:
        cursor.execute(
            f"SELECT id, {', '.join(qn(c) for c in columns)} FROM {qn(table)} "
            f"WHERE id > %s ORDER BY id LIMIT %s",
            [last_id, BATCH_SIZE],
        )
        batch = cursor.fetchall()
        if not batch:
            return
        yield from batch
        last_id = batch[-1][0]


def encrypt_existing_rows(apps, schema_editor):
    from accounts import crypto

    table = apps.get_model("accounts", "User")._meta.db_table
    qn = schema_editor.connection.ops.quote_name
    with schema_editor.connection.cursor() as reader, schema_editor.connection.cursor() as writer:
        for pk, resident_id, mobile in _rows(reader, qn, table, COLUMNS):
            values = {}
            plain_resident_id = resident_id or ""
            for column, value in (("resident_id", resident_id), ("mobile", mobile)):
                if value and not crypto.is_token(value):
                    values[column] = crypto.encrypt(value)
                elif value and column == "resident_id":
                    plain_resident_id = crypto.decrypt(value)
            values["resident_id_index"] = crypto.blind_index("resident_id", plain_resident_id)
            writer.execute(
                f"UPDATE {qn(table)} SET {', '.join(f'{qn(c)} = %s' for c in values)} WHERE id = %s",
                [*values.values(), pk],
            )


def decrypt_rows(apps, schema_editor):
    from accounts import crypto

    table = apps.get_model("accounts", "User")._meta.db_table
    qn = schema_editor.connection.ops.quote_name
    with schema_editor.connection.cursor() as reader, schema_editor.connection.cursor() as writer:
        for pk, resident_id, mobile in _rows(reader, qn, table, COLUMNS):
            values = {
                column: crypto.decrypt(value) if value and crypto.is_token(value) else value or ""
                for column, value in (("resident_id", resident_id), ("mobile", mobile))
            }
            values["resident_id_index"] = ""
            writer.execute(
                f"UPDATE {qn(table)} SET {', '.join(f'{qn(c)} = %s' for c in values)} WHERE id = %s",
                [*values.values(), pk],
            )


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_encrypted_personal_identifier_columns'),
    ]

    operations = [
        migrations.RunPython(encrypt_existing_rows, decrypt_rows),
    ]
