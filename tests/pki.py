"""A test certification authority generated with ``cryptography`` (never a real key).

``TestPKI(tmpdir)`` makes a root CA (written to ``root.pem``, the trust anchor the tests configure),
and issues PKCS#12 files protected by a passphrase: a leader's signing certificate, the
organisation's (the seal), an expired one, and one from another, untrusted CA. Images for the
visible signatures (a blue scribble, a red seal) are drawn with Pillow.
"""
from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

PASSPHRASE = "Ky-so-2026"
VALID_FROM = datetime(2025, 1, 1, tzinfo=timezone.utc)
VALID_TO = datetime(2031, 1, 1, tzinfo=timezone.utc)


def _name(cn: str, org: str = "Tỉnh ủy Lâm Đồng") -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


class TestPKI:
    __test__ = False

    def __init__(self, directory: Path, name: str = "CA thử nghiệm Lâm Đồng"):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.cert = (x509.CertificateBuilder().subject_name(_name(name)).issuer_name(_name(name))
                     .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
                     .not_valid_before(VALID_FROM - timedelta(days=365)).not_valid_after(VALID_TO + timedelta(days=3650))
                     .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                     .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                                  key_encipherment=False, data_encipherment=False,
                                                  key_agreement=False, key_cert_sign=True, crl_sign=True,
                                                  encipher_only=False, decipher_only=False), critical=True)
                     .sign(self.key, hashes.SHA256()))
        self.root_path = self.directory / f"root-{x509.random_serial_number() % 10**8}.pem"
        self.root_path.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))

    def cert_asn1(self):
        """The root as an asn1crypto certificate (what pyHanko's validation context takes)."""
        from asn1crypto import x509 as asn1_x509

        return asn1_x509.Certificate.load(self.cert.public_bytes(serialization.Encoding.DER))

    def issue(self, cn: str, *, passphrase: str | None = PASSPHRASE, not_before: datetime = VALID_FROM,
              not_after: datetime = VALID_TO) -> bytes:
        """A PKCS#12 file with the key and the certificate chain (encrypted by ``passphrase``)."""
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(self.cert.subject)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(not_before).not_valid_after(not_after)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True,
                                             key_encipherment=False, data_encipherment=False, key_agreement=False,
                                             key_cert_sign=False, crl_sign=False, encipher_only=False,
                                             decipher_only=False), critical=True)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
                .sign(self.key, hashes.SHA256()))
        encryption = (serialization.BestAvailableEncryption(passphrase.encode()) if passphrase
                      else serialization.NoEncryption())
        return pkcs12.serialize_key_and_certificates(cn.encode(), key, cert, [self.cert], encryption)


def signature_png(text: str = "ký", color=(20, 40, 160)) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (300, 150), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    draw.line([(20, 110), (80, 40), (120, 100), (170, 30), (220, 105), (280, 60)], fill=color + (255,), width=6)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def seal_png() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (240, 240), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse([6, 6, 234, 234], outline=(210, 20, 20, 230), width=10)
    draw.ellipse([40, 40, 200, 200], outline=(210, 20, 20, 230), width=5)
    draw.regular_polygon((120, 120, 40), 5, fill=(210, 20, 20, 230))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()
