"""The webhook secrets' KMS key: encrypt a secret when it is made, decrypt it to sign.

The encryption context binds each ciphertext to its tenant and endpoint, so a ciphertext copied
to another endpoint's item does not decrypt there, and the key's use is logged (CloudTrail) with
whose secret it was. The plaintext is never stored, logged or put in an event.
"""

from functools import cache, lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_kms.client import KMSClient


@cache
def kms() -> "KMSClient":
    import boto3
    from botocore.config import Config

    return boto3.client("kms", config=Config(retries={"mode": "standard", "max_attempts": 3}))


def _context(tid: str, wid: str) -> dict[str, str]:
    return {"tenant_id": tid, "webhook_id": wid}


def encrypt(tid: str, wid: str, secret: str) -> bytes:
    from hellojohn.config import settings

    out = kms().encrypt(
        KeyId=settings().webhook_key_id, Plaintext=secret.encode(), EncryptionContext=_context(tid, wid)
    )
    return bytes(out["CiphertextBlob"])


@lru_cache(maxsize=256)
def decrypt(tid: str, wid: str, ciphertext: bytes) -> str:
    """The secret, decrypted once per process and ciphertext: a delivery attempt signs without a
    KMS call while its endpoint's secret is unchanged (a rotation stores a new ciphertext)."""
    from hellojohn.config import settings

    out = kms().decrypt(
        KeyId=settings().webhook_key_id, CiphertextBlob=ciphertext, EncryptionContext=_context(tid, wid)
    )
    return bytes(out["Plaintext"]).decode()


def forget_secrets() -> None:
    decrypt.cache_clear()
