"""Throwaway certificates made with `cryptography`: a CA, server certificates, client certificates (mTLS), with
the validity a test asks for (an expired one)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass(frozen=True)
class Issued:
    """A certificate and its key, PEM."""

    cert_pem: str
    key_pem: str

    def key_encrypted(self, passphrase: str) -> str:
        """The key, encrypted with `passphrase` (PKCS#8)."""
        key = serialization.load_pem_private_key(self.key_pem.encode(), None)
        return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.BestAvailableEncryption(passphrase.encode())).decode()  # fmt: skip

    def write(self, folder: Path, name: str) -> tuple[Path, Path]:
        """The certificate and key as files `name`.pem and `name`.key in `folder`."""
        cert, key = folder / f"{name}.pem", folder / f"{name}.key"
        cert.write_text(self.cert_pem)
        key.write_text(self.key_pem)
        key.chmod(0o600)
        return cert, key


class CA:
    """A certificate authority that issues server and client certificates."""

    def __init__(self, name: str = "hooks test CA") -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        now = datetime.now(timezone.utc)
        self.cert = (
            x509.CertificateBuilder().subject_name(self.name).issuer_name(self.name)
            .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()), critical=False)
            .sign(self.key, hashes.SHA256())
        )  # fmt: skip
        self.cert_pem = self.cert.public_bytes(serialization.Encoding.PEM).decode()

    def server(self, host: str = "127.0.0.1") -> Issued:
        """A server certificate for `host` (an IP address or a name)."""
        try:
            san: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(host))
        except ValueError:
            san = x509.DNSName(host)
        return self._issue(host, ExtendedKeyUsageOID.SERVER_AUTH, san=san)

    def client(self, common_name: str, *, days: float = 30, expired: bool = False) -> Issued:
        """A client certificate (`CN=common_name`); `expired`: it ended yesterday."""
        return self._issue(common_name, ExtendedKeyUsageOID.CLIENT_AUTH, days=-1 if expired else days)

    def _issue(self, cn: str, usage: x509.ObjectIdentifier, *, days: float = 30,
               san: x509.GeneralName | None = None) -> Issued:  # fmt: skip
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.now(timezone.utc)
        builder = (
            x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
            .issuer_name(self.name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=2)).not_valid_after(now + timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False)
        )  # fmt: skip
        if san is not None:
            builder = builder.add_extension(x509.SubjectAlternativeName([san]), critical=False)
        cert = builder.sign(self.key, hashes.SHA256())
        key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())  # fmt: skip
        return Issued(cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem.decode())
