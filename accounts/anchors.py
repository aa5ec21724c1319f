"""Daily public anchors of the audit chains, and inclusion proofs of single entries.

Certificate Transparency's model (RFC 6962, RFC 9162) applied to the audit log: each day the
head of every chain becomes a leaf of a Merkle tree, whose root is signed (Ed25519 or SM2, the
suite in force, keys in settings.AUDIT_ANCHOR_SIGNING_KEYS, rotated like the e-certificates')
and published in the disclosure section. Someone who can write the database can still
recompute every hash after an entry they rewrote, and the chains then verify; but the heads
no longer match the roots the public already downloaded, which `verify_audit
--against-anchors` checks.

An inclusion proof shows that one entry (the one behind a decision, say) is part of a day's
signed root: the entry's content, the content digests of the later entries of its chain up to
the anchored head (digests only: the proof says nothing about what they record), and the
Merkle audit path from that head to the root. `verify_proof()` checks one, for the command
`verify_audit_proof` and the public page alike.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import signing
from .models import AuditAnchor, AuditChain, AuditEntry, canonical_json, link_hash

ANCHOR_FORMAT = "portal-audit-anchor/1"
PROOF_FORMAT = "portal-audit-inclusion-proof/1"
KEYS_SETTING = "AUDIT_ANCHOR_SIGNING_KEYS"


# --- the Merkle tree (RFC 6962 2.1) -------------------------------------------------------------


def leaf_hash(leaf: bytes, algorithm: str) -> bytes:
    return signing.digest(b"\x00" + leaf, algorithm)


def node_hash(left: bytes, right: bytes, algorithm: str) -> bytes:
    return signing.digest(b"\x01" + left + right, algorithm)


def _split(n: int) -> int:
    """The largest power of two smaller than n."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def merkle_root(leaves: list[bytes], algorithm: str) -> bytes:
    if not leaves:
        return signing.digest(b"", algorithm)
    if len(leaves) == 1:
        return leaf_hash(leaves[0], algorithm)
    k = _split(len(leaves))
    return node_hash(
        merkle_root(leaves[:k], algorithm), merkle_root(leaves[k:], algorithm), algorithm
    )


def audit_path(index: int, leaves: list[bytes], algorithm: str) -> list[bytes]:
    if len(leaves) <= 1:
        return []
    k = _split(len(leaves))
    if index < k:
        return audit_path(index, leaves[:k], algorithm) + [merkle_root(leaves[k:], algorithm)]
    return audit_path(index - k, leaves[k:], algorithm) + [merkle_root(leaves[:k], algorithm)]


def root_from_path(
    index: int, tree_size: int, leaf: bytes, path: list[bytes], algorithm: str
) -> bytes | None:
    """The root an audit path leads to (RFC 9162 2.1.3.2), or None if the path cannot fit."""
    if not 0 <= index < tree_size:
        return None
    fn, sn, result = index, tree_size - 1, leaf_hash(leaf, algorithm)
    for sibling in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            result = node_hash(sibling, result, algorithm)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            result = node_hash(result, sibling, algorithm)
        fn >>= 1
        sn >>= 1
    return result if sn == 0 else None


# --- anchors -------------------------------------------------------------------------------------


def anchor_keys() -> tuple[signing.SigningKey, ...]:
    return signing.parse_signing_keys(getattr(settings, KEYS_SETTING, ""), KEYS_SETTING)


def leaf_bytes(leaf: dict) -> bytes:
    return canonical_json(
        {"chain": leaf["chain"], "entry_id": leaf["entry_id"], "hash": leaf["hash"]}
    )


def signed_bytes(anchor: AuditAnchor) -> bytes:
    """What the signature covers: the day, the tree's size and root, and the hash used."""
    return canonical_json(
        {
            "format": ANCHOR_FORMAT,
            "day": anchor.day.isoformat(),
            "hash_algorithm": anchor.hash_algorithm,
            "tree_size": anchor.tree_size,
            "root_hash": anchor.root_hash,
        }
    )


@transaction.atomic
def anchor_day(day: date) -> AuditAnchor:
    """Sign the heads of every chain as the anchor of `day`; a second call returns the same one.

    A chain's head moves in the transaction that appends, so what is read here is each chain's
    last committed entry; no chain's lock is taken, and no writer waits for the anchor. The
    anchor is then recorded in the system chain, so the next day's root covers this one.
    """
    existing = AuditAnchor.objects.filter(day=day).first()
    if existing is not None:
        return existing
    from .audit import record

    leaves = [
        {"chain": key, "entry_id": entry_id, "hash": head}
        for key, entry_id, head in AuditChain.objects.order_by("key").values_list(
            "key", "head_entry_id", "head_hash"
        )
    ]
    algorithm = signing.hash_algorithm()
    key = signing.signing_key(anchor_keys(), KEYS_SETTING)
    anchor = AuditAnchor(
        day=day,
        created_at=timezone.now(),
        hash_algorithm=algorithm,
        leaves=leaves,
        tree_size=len(leaves),
        root_hash=merkle_root([leaf_bytes(leaf) for leaf in leaves], algorithm).hex(),
        signature_algorithm=key.algorithm,
        key_id=key.key_id,
    )
    anchor.signature = base64.b64encode(key.sign(signed_bytes(anchor))).decode("ascii")
    anchor.save()
    record(
        "audit.anchored",
        obj=anchor,
        detail={"day": day.isoformat(), "root_hash": anchor.root_hash, "chains": len(leaves)},
    )
    return anchor


def signature_is_valid(anchor: AuditAnchor) -> bool:
    key = signing.find_key(anchor_keys(), anchor.key_id)
    if key is None or key.algorithm != anchor.signature_algorithm:
        return False
    try:
        signature = base64.b64decode(anchor.signature, validate=True)
    except (binascii.Error, ValueError):
        return False
    return key.verify(signed_bytes(anchor), signature)


def anchor_document(anchor: AuditAnchor) -> dict:
    """The day's anchor as anyone downloads it: enough to check it without the portal."""
    key = signing.find_key(anchor_keys(), anchor.key_id)
    return {
        "format": ANCHOR_FORMAT,
        "day": anchor.day.isoformat(),
        "anchored_at": anchor.created_at.isoformat(),
        "hash_algorithm": anchor.hash_algorithm,
        "tree_size": anchor.tree_size,
        "root_hash": anchor.root_hash,
        "leaves": anchor.leaves,
        "signature_algorithm": anchor.signature_algorithm,
        "key_id": anchor.key_id,
        "public_key": key.public_key_base64 if key else None,
        "signature": anchor.signature,
        "signed_bytes": "UTF-8 JSON of format, day, hash_algorithm, tree_size and root_hash, "
        "keys sorted, separators ',' and ':'",
        "leaf_bytes": "UTF-8 JSON of chain, entry_id and hash, keys sorted; leaves hashed as in "
        "RFC 6962 (0x00 before a leaf, 0x01 before two nodes)",
    }


def check_against_anchors() -> tuple[list[str], int]:
    """Problems found comparing the chains with every anchor, and how many anchors were checked.

    Each anchor must carry a valid signature and the root of its own leaves, and each head it
    anchored must still be in the log, in its chain, with the same hash (unless the retention
    purge has since deleted it).
    """
    problems: list[str] = []
    chains = {chain.key: chain for chain in AuditChain.objects.all()}
    purged_through = {
        chain_id: last
        for chain_id, last in AuditEntry.objects.filter(action="audit.purge")
        .values_list("chain_id", "detail__last_deleted_id")
        .order_by("chain_id", "id")
    }
    anchors = list(AuditAnchor.objects.order_by("day"))
    for anchor in anchors:
        day = anchor.day.isoformat()
        if not signature_is_valid(anchor):
            problems.append(f"anchor of {day}: signature invalid or key unknown")
            continue
        root = merkle_root([leaf_bytes(leaf) for leaf in anchor.leaves], anchor.hash_algorithm)
        if root.hex() != anchor.root_hash or anchor.tree_size != len(anchor.leaves):
            problems.append(f"anchor of {day}: its leaves do not give its signed root")
            continue
        for leaf in anchor.leaves:
            chain = chains.get(leaf["chain"])
            if chain is None:
                problems.append(f"anchor of {day}: chain {leaf['chain']} is gone")
                continue
            if leaf["entry_id"] is None:
                if leaf["hash"] != chain.genesis_hash:
                    problems.append(f"anchor of {day}: chain {leaf['chain']} had another genesis")
                continue
            stored = (
                AuditEntry.objects.filter(pk=leaf["entry_id"], chain=chain)
                .values_list("hash", flat=True)
                .first()
            )
            if stored is None and leaf["entry_id"] <= (purged_through.get(chain.pk) or 0):
                continue
            if stored != leaf["hash"]:
                problems.append(
                    f"anchor of {day}: chain {leaf['chain']} entry #{leaf['entry_id']} "
                    f"{'is gone' if stored is None else 'has another hash'}: the history was "
                    "rewritten after it was anchored"
                )
    return problems, len(anchors)


# --- inclusion proofs ----------------------------------------------------------------------------


class ProofUnavailable(Exception):
    """No anchor covers the entry yet, or its chain no longer reaches the anchored head."""


def covering_anchor(entry: AuditEntry) -> tuple[AuditAnchor, int] | None:
    """The first anchor whose head of the entry's chain is the entry or a later one."""
    key = entry.chain.key
    # An anchor signed before the entry was written cannot hold it.
    for anchor in AuditAnchor.objects.filter(created_at__gte=entry.at).order_by("day"):
        for index, leaf in enumerate(anchor.leaves):
            if leaf["chain"] == key and leaf["entry_id"] is not None:
                if leaf["entry_id"] >= entry.pk:
                    return anchor, index
    return None


def inclusion_proof(entry: AuditEntry) -> dict:
    covered = covering_anchor(entry)
    if covered is None:
        raise ProofUnavailable("not_anchored")
    anchor, index = covered
    leaf = anchor.leaves[index]
    later = [
        AuditEntry(**values)
        for values in AuditEntry.objects.filter(
            chain_id=entry.chain_id, id__gt=entry.pk, id__lte=leaf["entry_id"]
        )
        .order_by("id")
        .values(
            "at",
            "actor_id",
            "actor_label",
            "action",
            "object_type",
            "object_id",
            "detail",
            "ip",
            "algorithm",
        )
    ]
    later_entries = [
        {"algorithm": each.algorithm, "content_digest": each.content_digest()} for each in later
    ]
    leaves = [leaf_bytes(each) for each in anchor.leaves]
    document = anchor_document(anchor)
    document.pop("leaves")
    return {
        "format": PROOF_FORMAT,
        "entry": {
            "id": entry.pk,
            "chain": entry.chain.key,
            "algorithm": entry.algorithm,
            "previous_hash": entry.previous_hash,
            "hash": entry.hash,
            "content": entry.chained_content(),
        },
        "later_entries": later_entries,
        "anchor": {
            **document,
            "leaf_index": index,
            "leaf": leaf,
            "audit_path": [node.hex() for node in audit_path(index, leaves, anchor.hash_algorithm)],
        },
    }


class ProofProblem:
    MALFORMED = "malformed"
    ENTRY_EDITED = "entry_edited"
    CHAIN_MISMATCH = "chain_mismatch"
    MERKLE_MISMATCH = "merkle_mismatch"
    UNKNOWN_KEY = "unknown_key"
    BAD_SIGNATURE = "bad_signature"
    NOT_PUBLISHED = "not_published"


@dataclass(frozen=True)
class ProofResult:
    problem: str = ""
    day: str = ""
    chain: str = ""
    entry_id: int | None = None
    action: str = ""

    @property
    def is_valid(self) -> bool:
        return self.problem == ""


def verify_proof(proof: dict) -> ProofResult:
    """Check an inclusion proof against the portal's anchor keys and published anchors."""
    try:
        if proof.get("format") != PROOF_FORMAT:
            return ProofResult(ProofProblem.MALFORMED)
        entry, anchor = proof["entry"], proof["anchor"]
        algorithm = entry["algorithm"]
        digest = signing.hexdigest(canonical_json(entry["content"]), algorithm)
        result = ProofResult(
            day=str(anchor["day"]),
            chain=str(entry["chain"]),
            entry_id=int(entry["id"]),
            action=str(entry["content"].get("action", "")),
        )
        if link_hash(entry["previous_hash"], digest, algorithm) != entry["hash"]:
            return _with(result, ProofProblem.ENTRY_EDITED)
        head = entry["hash"]
        for later in proof["later_entries"]:
            head = link_hash(head, later["content_digest"], later["algorithm"])
        leaf = anchor["leaf"]
        if leaf["chain"] != entry["chain"] or leaf["hash"] != head:
            return _with(result, ProofProblem.CHAIN_MISMATCH)
        root = root_from_path(
            int(anchor["leaf_index"]),
            int(anchor["tree_size"]),
            leaf_bytes(leaf),
            [bytes.fromhex(node) for node in anchor["audit_path"]],
            anchor["hash_algorithm"],
        )
        if root is None or root.hex() != anchor["root_hash"]:
            return _with(result, ProofProblem.MERKLE_MISMATCH)
        key = signing.find_key(anchor_keys(), anchor["key_id"])
        if key is None or key.algorithm != anchor["signature_algorithm"]:
            return _with(result, ProofProblem.UNKNOWN_KEY)
        signed = AuditAnchor(
            day=date.fromisoformat(anchor["day"]),
            hash_algorithm=anchor["hash_algorithm"],
            tree_size=int(anchor["tree_size"]),
            root_hash=anchor["root_hash"],
        )
        if not key.verify(
            signed_bytes(signed), base64.b64decode(anchor["signature"], validate=True)
        ):
            return _with(result, ProofProblem.BAD_SIGNATURE)
        published = AuditAnchor.objects.filter(day=signed.day).values_list("root_hash", flat=True)
        if published.first() not in (None, anchor["root_hash"]):
            return _with(result, ProofProblem.NOT_PUBLISHED)
        return result
    except (KeyError, TypeError, ValueError, AttributeError, binascii.Error):
        return ProofResult(ProofProblem.MALFORMED)


def _with(result: ProofResult, problem: str) -> ProofResult:
    return ProofResult(problem, result.day, result.chain, result.entry_id, result.action)
