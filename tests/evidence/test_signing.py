"""The key that signs report manifests (compliance/reports/signing.py): outside the home, generated
owner-only on first use, refused when others can read it; a signature anyone can check with the
public key beside the manifest."""
from __future__ import annotations

import stat

import pytest

from compliance.errors import ComplianceError
from compliance.reports import signing
from compliance.reports.verify import verify_version


def test_the_default_key_is_in_the_users_configuration_folder(monkeypatch, tmp_path):
    monkeypatch.delenv(signing.KEY_ENV)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    assert signing.key_path() == tmp_path / "config" / "compliance" / "signing-key.pem"


def test_the_key_is_generated_owner_only_on_first_use_and_kept(monkeypatch, tmp_path):
    path = tmp_path / "keys" / "signing-key.pem"
    monkeypatch.setenv(signing.KEY_ENV, str(path))
    first = signing.signing_key(tmp_path / "home")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    again = signing.signing_key(tmp_path / "home")
    assert signing.fingerprint(again.public_key()) == signing.fingerprint(first.public_key())
    assert signing.fingerprint(signing.trusted_key(tmp_path / "home")) == signing.fingerprint(first.public_key())


def test_a_key_others_can_read_is_refused(monkeypatch, tmp_path):
    path = tmp_path / "signing-key.pem"
    monkeypatch.setenv(signing.KEY_ENV, str(path))
    signing.signing_key(tmp_path / "home")
    path.chmod(0o644)
    with pytest.raises(ComplianceError) as caught:
        signing.signing_key(tmp_path / "home")
    assert str(caught.value) == f"{path}: the signing key is open to others (mode 0644): chmod 600 it"


def test_a_key_inside_the_home_is_refused(monkeypatch, tmp_path):
    home = tmp_path / "home"
    monkeypatch.setenv(signing.KEY_ENV, str(home / "keys" / "signing-key.pem"))
    with pytest.raises(ComplianceError) as caught:
        signing.signing_key(home)
    assert "the signing key must be kept outside the warehouse home" in str(caught.value)
    assert not (home / "keys").exists()


def test_verify_without_a_key_to_trust_is_a_one_line_error(monkeypatch, tmp_path):
    (tmp_path / "home").mkdir(mode=0o700)  # a home must be owner-only (docs/operations.md)
    folder = tmp_path / "home" / "reports" / "2018-09" / "v1"
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text("{}")
    monkeypatch.setenv(signing.KEY_ENV, str(tmp_path / "absent.pem"))
    with pytest.raises(ComplianceError) as caught:
        verify_version(tmp_path / "home", folder)
    assert str(caught.value) == (f"{tmp_path / 'absent.pem'}: no signing key here to verify with: give "
                                 "--public-key FILE (the published key) or set COMPLIANCE_SIGNING_KEY")


def test_a_signature_is_checked_with_the_public_key_beside_the_manifest(tmp_path):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    (tmp_path / "manifest.json").write_bytes(b'{"month": "2018-09"}')
    signing.sign(tmp_path, "manifest.json", key)
    public = signing.read_public(tmp_path / signing.PUBLIC_KEY)
    signature = (tmp_path / signing.SIGNATURE).read_bytes()
    assert len(signature) == 64
    assert signing.signed_by(public, signature, b'{"month": "2018-09"}')
    assert not signing.signed_by(public, signature, b'{"month": "2018-10"}')
