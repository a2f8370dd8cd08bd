"""Ed25519 signatures over TH("paiwei/v1/bundle", JCS(bundle without "signatures"))."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from lottery._canonical import canonical_json, encoder
from seeding import tagged_hash

BUNDLE_TAG = "paiwei/v1/bundle"


def bundle_digest(bundle: Mapping[str, Any], encode: Callable[[Any], bytes] | None = None) -> bytes:
    """The 32 bytes every signature signs. ``encode`` skips the domain check for checked bundles."""
    body = {k: v for k, v in bundle.items() if k != "signatures"}
    data = encode(body) if encode is not None else canonical_json(body)
    return tagged_hash(BUNDLE_TAG, data)


def public_key_hex(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def sign_bundle(
    bundle: Mapping[str, Any], signer: str, key: Ed25519PrivateKey, *, accelerate: bool = True
) -> dict[str, Any]:
    """A copy of ``bundle`` with one more signature. Raises ValueError if ``signer`` already signed."""
    existing = list(bundle.get("signatures", []))
    if any(s.get("signer") == signer for s in existing):
        raise ValueError(f"{signer} has already signed this bundle")
    digest = bundle_digest(bundle, encoder(accelerate=accelerate) if accelerate else None)
    existing.append(
        {
            "signer": signer,
            "public_key": public_key_hex(key),
            "signature": key.sign(digest).hex(),
        }
    )
    return {**bundle, "signatures": existing}


def signature_valid(public_key: bytes, signature: bytes, digest: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, digest)
    except (InvalidSignature, ValueError):
        return False
    return True


def generate_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def private_key_pem(key: Ed25519PrivateKey, passphrase: bytes | None = None) -> bytes:
    algorithm: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase)
        if passphrase
        else serialization.NoEncryption()
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, algorithm
    )


def load_private_key(pem: bytes, passphrase: bytes | None = None) -> Ed25519PrivateKey:
    """Raises ValueError for a wrong passphrase, a key that is not Ed25519, or junk."""
    try:
        key = serialization.load_pem_private_key(pem, password=passphrase)
    except TypeError as exc:  # encrypted without passphrase, or passphrase for a plain key
        raise ValueError(str(exc)) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("not an Ed25519 private key")
    return key
