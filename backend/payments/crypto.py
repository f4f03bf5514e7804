"""The WeChat Pay APIv3 primitives the fake server needs: RSA keys, signatures, AES-GCM."""

from __future__ import annotations

import base64
import re

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"
_AUTH_FIELD = re.compile(r'(\w+)="([^"]*)"')


def new_key_pair() -> tuple[str, str]:
    """(private key PEM in PKCS#8, public key PEM), as WeChat Pay's merchant tool makes."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


def load_private(pem: str):
    return serialization.load_pem_private_key(pem.encode(), password=None)


def load_public(pem: str):
    return serialization.load_pem_public_key(pem.encode())


def sign(private_key, message: str) -> str:
    raw = private_key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(raw).decode()


def verify(public_key, message: str, signature: str) -> bool:
    try:
        public_key.verify(
            base64.b64decode(signature), message.encode(), padding.PKCS1v15(), hashes.SHA256()
        )
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def message(*parts: str) -> str:
    """WeChat's signing string: each part on its own line, a newline after the last."""
    return "".join(f"{part}\n" for part in parts)


def parse_authorization(header: str) -> dict | None:
    """The fields of `WECHATPAY2-SHA256-RSA2048 mchid="..",nonce_str="..",...`."""
    if not header or not header.startswith(SIGNATURE_TYPE + " "):
        return None
    return dict(_AUTH_FIELD.findall(header[len(SIGNATURE_TYPE) + 1 :]))


def aes_gcm_encrypt(apiv3_key: str, nonce: str, plaintext: str, associated_data: str) -> str:
    sealed = AESGCM(apiv3_key.encode()).encrypt(
        nonce.encode(), plaintext.encode(), associated_data.encode()
    )
    return base64.b64encode(sealed).decode()
