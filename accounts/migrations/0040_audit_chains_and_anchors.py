# The audit log split into one chain per department plus one for the system, and the table of
# the signed daily anchors (accounts/audit.py, accounts/anchors.py, docs/security.md).
#
# Existing entries move into chains without losing verifiability: the single chain is verified
# first with its old formula (a broken log is evidence and is not re-chained: the migration
# stops and names the entry); then each entry goes to the chain of its case's department
# (applications, their review tasks and instruments) or to the system's, and each chain is
# re-linked in id order from its own genesis, deterministically (the same log always gives
# the same new hashes). Last, the system chain receives an "audit.rechained" entry that holds
# the old chain's last hash and count and every new chain's head, so a hash kept from the old
# `verify_audit` (--expect) is still found, and the step from the old chain to the new ones
# is itself inside a chain.

from datetime import UTC

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

from accounts.models import canonical_json, chain_genesis, link_hash
from accounts.signing import SHA256, hexdigest

OLD_GENESIS = "0" * 64
BATCH = 2000


def _content(entry) -> dict:
    return {
        "at": entry.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_id": entry.actor_id,
        "actor_label": entry.actor_label,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "detail": entry.detail,
        "ip": entry.ip,
    }


def _old_hash(entry) -> str:
    return hexdigest((entry.previous_hash).encode() + canonical_json(_content(entry)), SHA256)


def _batches(queryset):
    after = 0
    while batch := list(queryset.filter(id__gt=after).order_by("id")[:BATCH]):
        yield batch
        after = batch[-1].pk


def _verify_old_chain(AuditEntry) -> tuple[int, str]:
    anchors = set(
        AuditEntry.objects.filter(action="audit.purge").values_list(
            "detail__last_deleted_hash", flat=True
        )
    )
    expected, count = None, 0
    for batch in _batches(AuditEntry.objects.all()):
        for entry in batch:
            if expected is None:
                linked = entry.previous_hash == OLD_GENESIS or entry.previous_hash in anchors
            else:
                linked = entry.previous_hash == expected
            if not linked or _old_hash(entry) != entry.hash:
                raise RuntimeError(
                    f"The audit log is broken at entry #{entry.pk} (manage.py verify_audit names "
                    "the problem). It is evidence: investigate before re-chaining it; this "
                    "migration re-chains only an intact log."
                )
            expected = entry.hash
            count += 1
    return count, expected or ""


def _department_of_objects(schema_editor) -> dict[tuple[str, str], int]:
    """(object type, object id) → the department whose chain holds the case it belongs to."""
    tables = set(schema_editor.connection.introspection.table_names())
    needed = {
        "services_serviceitem",
        "services_reviewstage",
        "services_stagedepartment",
        "services_application",
    }
    if not needed <= tables:
        return {}
    found: dict[tuple[str, str], int] = {}
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT a.id, COALESCE(
                (SELECT sd.department_id FROM services_stagedepartment sd
                   JOIN services_reviewstage st ON st.id = sd.stage_id
                   JOIN accounts_department d ON d.id = sd.department_id
                  WHERE st.item_id = a.item_id
                  ORDER BY st."order", d.code LIMIT 1),
                i.accepting_department_id)
              FROM services_application a JOIN services_serviceitem i ON i.id = a.item_id
            """
        )
        by_application = {row[0]: row[1] for row in cursor.fetchall() if row[1] is not None}
        for application_id, department_id in by_application.items():
            found[("services.application", str(application_id))] = department_id
        for table, label in (
            ("approvals_reviewtask", "approvals.reviewtask"),
            ("instruments_instrument", "instruments.instrument"),
        ):
            if table in tables:
                cursor.execute(f"SELECT id, application_id FROM {table}")
                for object_id, application_id in cursor.fetchall():
                    if application_id in by_application:
                        found[(label, str(object_id))] = by_application[application_id]
    return found


def rechain(apps, schema_editor):
    AuditEntry = apps.get_model("accounts", "AuditEntry")
    AuditChain = apps.get_model("accounts", "AuditChain")
    Department = apps.get_model("accounts", "Department")
    old_count, old_head = _verify_old_chain(AuditEntry)
    departments = _department_of_objects(schema_editor)
    codes = dict(Department.objects.values_list("id", "code"))
    chains: dict[int | None, object] = {}

    def chain_of(department_id):
        if department_id not in chains:
            key = "system" if department_id is None else f"department:{codes[department_id]}"
            genesis = chain_genesis(key, SHA256)
            chains[department_id] = AuditChain.objects.create(
                key=key,
                department_id=department_id,
                genesis_hash=genesis,
                head_hash=genesis,
            )
        return chains[department_id]

    system = chain_of(None)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("ALTER TABLE accounts_auditentry DISABLE TRIGGER accounts_auditentry_append_only")
    for batch in _batches(AuditEntry.objects.all()):
        for entry in batch:
            chain = chain_of(departments.get((entry.object_type, entry.object_id)))
            entry.chain_id = chain.pk
            entry.algorithm = SHA256
            entry.previous_hash = chain.head_hash
            entry.hash = link_hash(
                entry.previous_hash, hexdigest(canonical_json(_content(entry)), SHA256), SHA256
            )
            chain.head_hash, chain.head_entry_id = entry.hash, entry.pk
        AuditEntry.objects.bulk_update(batch, ["chain", "algorithm", "previous_hash", "hash"])
    if old_count:
        marker = AuditEntry(
            chain_id=system.pk,
            at=django.utils.timezone.now(),
            actor_label="system",
            action="audit.rechained",
            detail={
                "entries": old_count,
                "old_last_hash": old_head,
                "heads": {chain.key: chain.head_hash for chain in chains.values()},
            },
            algorithm=SHA256,
            previous_hash=system.head_hash,
        )
        marker.hash = link_hash(
            marker.previous_hash, hexdigest(canonical_json(_content(marker)), SHA256), SHA256
        )
        marker.save()
        system.head_hash, system.head_entry_id = marker.hash, marker.pk
    for chain in chains.values():
        chain.save(update_fields=["head_hash", "head_entry_id"])
    with schema_editor.connection.cursor() as cursor:
        # The foreign keys' deferred checks run now: ALTER TABLE refuses to run while they are
        # pending (here, and when the column becomes NOT NULL).
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE accounts_auditentry ENABLE TRIGGER accounts_auditentry_append_only")


def unchain(apps, schema_editor):
    """Back to one chain from the old genesis, with the old formula, in id order."""
    AuditEntry = apps.get_model("accounts", "AuditEntry")
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("ALTER TABLE accounts_auditentry DISABLE TRIGGER accounts_auditentry_append_only")
    # The marker was written by the step being undone.
    AuditEntry.objects.filter(action="audit.rechained").delete()
    previous = OLD_GENESIS
    for batch in _batches(AuditEntry.objects.all()):
        for entry in batch:
            entry.previous_hash = previous
            entry.hash = previous = _old_hash(entry)
        AuditEntry.objects.bulk_update(batch, ["previous_hash", "hash"])
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE accounts_auditentry ENABLE TRIGGER accounts_auditentry_append_only")


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0020_email_verified_and_reveal_permission'),
    ]

    operations = [
        migrations.AddField(
            model_name='auditentry',
            name='algorithm',
            field=models.CharField(default='sha256', help_text='The hash this entry was chained with: sha256, or sm3 (national suite).', max_length=8, verbose_name='hash algorithm'),
        ),
        migrations.CreateModel(
            name='AuditAnchor',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('day', models.DateField(unique=True, verbose_name='day')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='anchored at')),
                ('hash_algorithm', models.CharField(max_length=8, verbose_name='hash algorithm')),
                ('leaves', models.JSONField(help_text="Each chain's key, head entry id and head hash, in order.", verbose_name='chain heads')),
                ('tree_size', models.PositiveIntegerField(verbose_name='number of chains')),
                ('root_hash', models.CharField(max_length=64, unique=True, verbose_name='Merkle root')),
                ('signature_algorithm', models.CharField(max_length=8, verbose_name='signature algorithm')),
                ('key_id', models.CharField(max_length=32, verbose_name='signing key')),
                ('signature', models.TextField(verbose_name='signature')),
            ],
            options={
                'verbose_name': 'audit anchor',
                'verbose_name_plural': 'audit anchors',
                'ordering': ['-day'],
                'constraints': [models.CheckConstraint(condition=models.Q(('hash_algorithm__in', ('sha256', 'sm3'))), name='audit_anchor_hash_algorithm_known'), models.CheckConstraint(condition=models.Q(('signature_algorithm__in', ('Ed25519', 'SM2'))), name='audit_anchor_signature_algorithm_known')],
            },
        ),
        migrations.CreateModel(
            name='AuditChain',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('key', models.CharField(max_length=64, unique=True, verbose_name='key')),
                ('genesis_hash', models.CharField(max_length=64, verbose_name='genesis hash')),
                ('head_hash', models.CharField(max_length=64, verbose_name='head hash')),
                ('head_entry_id', models.BigIntegerField(blank=True, null=True, verbose_name='head entry')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='created')),
                ('department', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='audit_chain', to='accounts.department', verbose_name='department')),
            ],
            options={
                'verbose_name': 'audit chain',
                'verbose_name_plural': 'audit chains',
                'ordering': ['key'],
            },
        ),
        migrations.AddField(
            model_name='auditentry',
            name='chain',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='entries', to='accounts.auditchain', verbose_name='chain'),
        ),
        migrations.RunPython(rechain, unchain, elidable=False),
        migrations.AlterField(
            model_name='auditentry',
            name='chain',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='entries', to='accounts.auditchain', verbose_name='chain'),
        ),
        migrations.AddIndex(
            model_name='auditentry',
            index=models.Index(fields=['chain', 'id'], name='audit_chain_order'),
        ),
        migrations.AddConstraint(
            model_name='auditentry',
            constraint=models.CheckConstraint(condition=models.Q(('algorithm__in', ('sha256', 'sm3'))), name='audit_entry_algorithm_known'),
        ),
        migrations.AddConstraint(
            model_name='auditchain',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('department__isnull', True), ('key', 'system')), models.Q(models.Q(('key', 'system'), _negated=True), ('department__isnull', False)), _connector='OR'), name='audit_chain_system_or_department'),
        ),
    ]
