"""Command line of the signing certificates (issue 13)."""
from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import click
from flask import Flask


def register_signing_commands(app: Flask) -> None:
    @app.cli.command("install-certificate")
    @click.option("--user", "username", help="A leader's user name (the signer's certificate).")
    @click.option("--unit", "unit_code", help="An issuing body's code (the organisation's certificate, the seal).")
    @click.option("--p12", "p12_path", required=True, type=click.Path(exists=True, dir_okay=False),
                  help="The PKCS#12 file (.p12, .pfx), protected by a passphrase.")
    @click.option("--image", "image_path", type=click.Path(exists=True, dir_okay=False),
                  help="The signature image (signer) or the seal image (organisation), PNG.")
    @click.option("--title", help="The signer's title as the signing block writes it (Phó Bí thư Thường trực).")
    def install_certificate(username, unit_code, p12_path, image_path, title):
        """Install a PKCS#12 file; the passphrase is read from standard input (checked, never stored)."""
        from workflow import clock
        from workflow.errors import DomainError
        from workflow.services.outgoing import install_credential

        passphrase = sys.stdin.readline().rstrip("\r\n")
        system = SimpleNamespace(is_authenticated=True, active=True, role="admin", id=None, unit_id=None)
        try:
            credential = install_credential(
                system, pkcs12=Path(p12_path).read_bytes(), passphrase=passphrase, now=clock.utcnow(),
                username=username, unit_code=unit_code, title=title,
                image=Path(image_path).read_bytes() if image_path else None)
        except DomainError as exc:
            click.echo(exc.message, err=True)
            sys.exit(1)
        click.echo(f"Đã cài đặt chứng thư số {credential.subject} (hiệu lực đến {credential.not_after:%d/%m/%Y}).")
