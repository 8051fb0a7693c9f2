"""DKIM signatures on outgoing mail, with dkimpy: rsa-sha256, relaxed/relaxed canonicalisation (survives the
header rewrapping relays do), over the headers a receiver shows or acts on. Headers that are absent are signed
too (as absent), so nobody on the way can add a From, a Subject or a List-Unsubscribe of their own.

dkimpy does everything DKIM (canonicalisation, the header, the hashes) but computes the RSA signature itself in
Python, which cost 10-13 ms of CPU per email here (`make bench`: more than building the email). The RSA step
alone is handed to `cryptography` (OpenSSL) for the keys loaded here: RSASSA-PKCS1-v1_5 is deterministic, so
the signature is byte for byte the one dkimpy computes (a unit test compares them), in a fraction of the time.
Any other key or hash goes through dkimpy's own code as before."""

import base64
from pathlib import Path

import dkim
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa, utils

_DKIMPY_SIGN = dkim.RSASSA_PKCS1_v1_5_sign
_KEYS: dict[int, rsa.RSAPrivateKey] = {}  # modulus -> the same private key, loaded by cryptography


def _sign_with_openssl(digest, private_key: dict) -> bytes:
    """dkimpy's RSASSA_PKCS1_v1_5_sign(hash, parsed key), with the modular arithmetic in OpenSSL."""
    key = _KEYS.get(private_key.get("modulus"))
    if key is None or digest.name != "sha256":
        return _DKIMPY_SIGN(digest, private_key)
    return key.sign(digest.digest(), padding.PKCS1v15(), utils.Prehashed(hashes.SHA256()))


dkim.RSASSA_PKCS1_v1_5_sign = _sign_with_openssl  # dkim.DKIM.gen_header calls it by this module-level name

SIGNED_HEADERS = (
    b"from",
    b"to",
    b"subject",
    b"date",
    b"message-id",
    b"mime-version",
    b"content-type",
    b"content-language",
    b"list-unsubscribe",
    b"list-unsubscribe-post",
)


class DkimSigner:
    def __init__(self, *, selector: str, domain: str, private_key_pem: bytes) -> None:
        self.selector, self.domain = selector, domain
        self._key = private_key_pem
        key = serialization.load_pem_private_key(private_key_pem, password=None)  # a bad key fails at start-up
        if isinstance(key, rsa.RSAPrivateKey):
            _KEYS[key.private_numbers().public_numbers.n] = key

    def sign(self, message: bytes) -> bytes:
        """The message (CRLF line ends) with its DKIM-Signature header in front."""
        signature = dkim.sign(
            message,
            self.selector.encode(),
            self.domain.encode(),
            self._key,
            canonicalize=(b"relaxed", b"relaxed"),
            include_headers=list(SIGNED_HEADERS),
        )
        return signature + message

    def public_key_b64(self) -> str:
        """The `p=` of the DNS record: the public key's SubjectPublicKeyInfo, base64."""
        key = serialization.load_pem_private_key(self._key, password=None).public_key()
        der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        return base64.b64encode(der).decode()


def new_private_key_pem() -> bytes:
    """A fresh 2048-bit RSA key (the development key `make run` writes under .local/)."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def signer_for(settings) -> DkimSigner | None:
    """The signer the notifier's settings ask for: a key given inline (a secret) or in a file; None without
    either (mail goes unsigned, and start-up warns)."""
    if settings.dkim_private_key:
        pem = settings.dkim_private_key.get_secret_value().encode()
    elif settings.dkim_private_key_file is not None:
        pem = Path(settings.dkim_private_key_file).read_bytes()
    else:
        return None
    return DkimSigner(selector=settings.dkim_selector, domain=settings.dkim_signing_domain(), private_key_pem=pem)
