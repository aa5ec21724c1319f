# The tamper-evident audit log (accounts/audit.py, docs/security.md "Security audit").
#
# Written by hand so that it holds the audit log only. Besides the table, a trigger makes the
# log append-only: UPDATE is always refused; DELETE passes only for the retention purge
# (accounts.audit.purge_expired_entries), which sets `portal.audit_purge` for its own
# transaction, and then only for entries older than 180 days. Network logs are kept at least
# six months (Cybersecurity Law Art. 21); audit records are protected from unexpected deletion
# or modification (GB/T 22239-2019 8.1.4.3 c). The trigger stops the ORM, the admin and
# mistakes; whoever may ALTER the table can still disable it, and what they then change
# `manage.py verify_audit` finds through the hash chain.

import django.utils.timezone
from django.db import migrations, models

APPEND_ONLY = r"""
CREATE FUNCTION accounts_auditentry_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE'
       AND current_setting('portal.audit_purge', true) = 'on'
       AND OLD.at < now() - interval '180 days' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'The audit log is append-only: % of entry % refused', TG_OP, OLD.id
        USING HINT = 'Old entries leave only through the retention purge.';
END
$$;

CREATE TRIGGER accounts_auditentry_append_only
    BEFORE UPDATE OR DELETE ON accounts_auditentry
    FOR EACH ROW EXECUTE FUNCTION accounts_auditentry_append_only();
"""

DROP_APPEND_ONLY = r"""
DROP TRIGGER accounts_auditentry_append_only ON accounts_auditentry;
DROP FUNCTION accounts_auditentry_append_only();
"""


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0005_unique_resident_id_by_blind_index'),
    ]

    operations = [
        migrations.CreateModel(
            name='AuditEntry',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('at', models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name='when')),
                ('actor_id', models.BigIntegerField(blank=True, null=True, verbose_name="actor's user id")),
                ('actor_label', models.CharField(max_length=150, verbose_name='actor')),
                ('action', models.CharField(db_index=True, max_length=64, verbose_name='action')),
                ('object_type', models.CharField(blank=True, max_length=100, verbose_name='object type')),
                ('object_id', models.CharField(blank=True, max_length=64, verbose_name='object id')),
                ('detail', models.JSONField(blank=True, default=dict, verbose_name='detail')),
                ('ip', models.GenericIPAddressField(blank=True, null=True, verbose_name='IP address')),
                ('previous_hash', models.CharField(max_length=64, verbose_name="previous entry's hash")),
                ('hash', models.CharField(max_length=64, verbose_name='hash')),
            ],
            options={
                'verbose_name': 'audit log entry',
                'verbose_name_plural': 'audit log',
                'indexes': [models.Index(fields=['object_type', 'object_id'], name='audit_object'), models.Index(fields=['actor_id', 'at'], name='audit_actor_at')],
                'constraints': [models.UniqueConstraint(fields=('previous_hash',), name='audit_chain_does_not_fork'), models.UniqueConstraint(fields=('hash',), name='audit_hash_unique'), models.CheckConstraint(condition=models.Q(('hash__regex', '^[0-9a-f]{64}$'), ('previous_hash__regex', '^[0-9a-f]{64}$')), name='audit_hashes_are_sha256_hex')],
            },
        ),
        migrations.RunSQL(APPEND_ONLY, reverse_sql=DROP_APPEND_ONLY),
    ]
