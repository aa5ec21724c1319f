"""How the SM2 libraries on PyPI compare: `python -m bench.sm2_candidates` (no database).

The comparison behind the choice of gmssl-pyx (docs/security.md, "Which SM2 library"). Only
gmssl-pyx is a requirement; to rerun the comparison, install the others into a scratch
virtualenv (`pip install gmssl gmalg tongsuopy gmssl-pyx`) and run this module there.
Candidates not installed are skipped. Sign and verify of 64 random bytes, one process.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

MESSAGE = os.urandom(64)
SECONDS = 1.0


def rate(operation: Callable[[], object]) -> float:
    count, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < SECONDS:
        operation()
        count += 1
    return count / elapsed


def gmssl_pyx():
    import gmssl_pyx as g

    public, private = g.sm2_key_generate()
    signature = g.sm2_sign(private, public, MESSAGE)
    return (
        lambda: g.sm2_sign(private, public, MESSAGE),
        lambda: g.sm2_verify(public, MESSAGE, signature),
    )


def gmssl():
    from gmssl import func, sm2

    private = func.random_hex(64)
    public = sm2.CryptSM2(private_key=private, public_key="")._kg(
        int(private, 16), sm2.default_ecc_table["g"]
    )
    signer = sm2.CryptSM2(private_key=private, public_key=public)
    signature = signer.sign_with_sm3(MESSAGE)
    return (
        lambda: signer.sign_with_sm3(MESSAGE),
        lambda: signer.verify_with_sm3(signature, MESSAGE),
    )


def gmalg():
    import gmalg as g

    private, public = g.SM2().generate_keypair()
    signer = g.SM2(sk=private, pk=public, uid=b"1234567812345678")
    r, s = signer.sign(MESSAGE)
    return lambda: signer.sign(MESSAGE), lambda: signer.verify(MESSAGE, r, s)


def tongsuopy():
    from tongsuopy.crypto import hashes
    from tongsuopy.crypto.asymciphers import ec

    key = ec.generate_private_key(ec.SM2())
    algorithm = ec.ECDSA(hashes.SM3())
    signature = key.sign(MESSAGE, algorithm)
    return (
        lambda: key.sign(MESSAGE, algorithm),
        lambda: key.public_key().verify(signature, MESSAGE, algorithm),
    )


CANDIDATES = {"gmssl-pyx": gmssl_pyx, "gmssl": gmssl, "gmalg": gmalg, "tongsuopy": tongsuopy}


def main() -> int:
    print("| library | sign/s | verify/s |\n|---|---:|---:|")
    for name, prepare in CANDIDATES.items():
        try:
            sign, verify = prepare()
        except ImportError:
            print(f"| {name} | not installed | |")
            continue
        print(f"| {name} | {rate(sign):,.0f} | {rate(verify):,.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
