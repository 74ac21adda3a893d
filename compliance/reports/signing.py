"""Signing report manifests with an ed25519 key kept outside the warehouse home (docs/evidence.md).

The private key is the file named by COMPLIANCE_SIGNING_KEY, else `signing-key.pem` in the user's
configuration folder (`$XDG_CONFIG_HOME/compliance/`, by default `~/.config/compliance/`): never in
the home, so a copy of the home (a backup, a shared or mounted folder) carries no key that could
re-sign it. It is generated on first use, owner-only, and refused when others can read it.

Each version gets `manifest.sig` (the raw 64-byte signature of `manifest.json`'s bytes, as
`openssl pkeyutl -verify -rawin` reads it) and `signing-key.pub` (the public key, PEM) beside its
manifest; the manifest names the key by its fingerprint.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

from compliance.errors import ComplianceError

KEY_ENV = "COMPLIANCE_SIGNING_KEY"
KEY_NAME = "signing-key.pem"
SIGNATURE = "manifest.sig"
PUBLIC_KEY = "signing-key.pub"
ALGORITHM = "ed25519"


def key_path() -> Path:
    chosen = os.environ.get(KEY_ENV, "").strip()
    if chosen:
        return Path(chosen).expanduser().resolve()
    config = os.environ.get("XDG_CONFIG_HOME", "").strip() or Path.home() / ".config"
    return (Path(config).expanduser() / "compliance" / KEY_NAME).resolve()


def _outside_home(path: Path, home: Path) -> None:
    if path == home.resolve() or home.resolve() in path.parents:
        raise ComplianceError("the signing key must be kept outside the warehouse home: set "
                              f"{KEY_ENV} to a file elsewhere", path=str(path))


def _read_private(path: Path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    try:
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            raise ComplianceError(f"the signing key is open to others (mode {mode:04o}): chmod 600 it",
                                  path=str(path))
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except OSError as exc:
        raise ComplianceError(f"cannot read the signing key: {exc.strerror}", path=str(path)) from None
    except (ValueError, TypeError) as exc:
        raise ComplianceError(f"not a PEM private key without a passphrase: {exc}", path=str(path)) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ComplianceError(f"the signing key must be an {ALGORITHM} key", path=str(path))
    return key


def signing_key(home: Path):
    """The private key, generated owner-only on first use."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    path = key_path()
    _outside_home(path, Path(home))
    if path.is_file():
        return _read_private(path)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # O_EXCL: a key another process created meanwhile is used, never overwritten.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_private(path)
    except OSError as exc:
        raise ComplianceError(f"cannot create the signing key ({exc.strerror}): set {KEY_ENV} to a "
                              "writable place outside the home", path=str(path)) from None
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    return key


def public_pem(public_key) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def fingerprint(public_key) -> str:
    """sha256 of the raw 32-byte public key, hex: how manifests, findings and docs name a key."""
    from cryptography.hazmat.primitives import serialization

    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def read_public(path: Path):
    """An ed25519 public key from a PEM file (`signing-key.pub`, or one published)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        key = serialization.load_pem_public_key(Path(path).read_bytes())
    except OSError as exc:
        raise ComplianceError(f"cannot read the public key: {exc.strerror}", path=str(path)) from None
    except ValueError:
        raise ComplianceError("not a PEM public key", path=str(path)) from None
    if not isinstance(key, Ed25519PublicKey):
        raise ComplianceError(f"not an {ALGORITHM} public key", path=str(path))
    return key


def trusted_key(home: Path):
    """The public half of the configured signing key, without creating one."""
    path = key_path()
    if not path.is_file():
        raise ComplianceError(f"no signing key here to verify with: give --public-key FILE (the "
                              f"published key) or set {KEY_ENV}", path=str(path))
    _outside_home(path, Path(home))
    return _read_private(path).public_key()


def manifest_entry(key) -> dict:
    """What the manifest says of the key that signs it."""
    return {"algorithm": ALGORITHM, "public_key": PUBLIC_KEY, "public_key_sha256": fingerprint(key.public_key())}


def sign(version_dir: Path, manifest_name: str, key) -> None:
    """Write `manifest.sig` over the manifest's bytes and `signing-key.pub` beside it."""
    data = (version_dir / manifest_name).read_bytes()
    (version_dir / SIGNATURE).write_bytes(key.sign(data))
    (version_dir / PUBLIC_KEY).write_bytes(public_pem(key.public_key()))


def signed_by(public_key, signature: bytes, data: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature

    try:
        public_key.verify(signature, data)
    except InvalidSignature:
        return False
    return True
