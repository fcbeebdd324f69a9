"""OpenSSH signatures (SSHSIG, Ed25519) and signing keys, with ``cryptography`` alone.

The format is OpenSSH's PROTOCOL.sshsig; the armored output is byte-identical to
``ssh-keygen -Y sign -n <namespace>`` with the same key (Ed25519 signatures are deterministic).
Keys are OpenSSH private key files, created encrypted with a passphrase (bcrypt KDF, as
``ssh-keygen`` does) or loaded from a file the operator points to.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from bgwizard.errors import LedgerError, SignerKeyError
from bgwizard.inputs import MiB, read_input
from bgwizard.ledger.chain import NAMESPACE
from bgwizard.secret import Secret

_MAGIC: Final = b"SSHSIG"
_HASH: Final = b"sha512"
_BEGIN: Final = "-----BEGIN SSH SIGNATURE-----"
_END: Final = "-----END SSH SIGNATURE-----"
_KEY_TYPE: Final = b"ssh-ed25519"


def _string(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def _public_blob(public: Ed25519PublicKey) -> bytes:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return _string(_KEY_TYPE) + _string(raw)


def public_key_line(public: Ed25519PublicKey) -> str:
    """``ssh-ed25519 AAAA…`` without a comment."""
    return f"ssh-ed25519 {base64.b64encode(_public_blob(public)).decode()}"


def fingerprint(key_line: str) -> str:
    """OpenSSH fingerprint ``SHA256:…`` of a public key line."""
    blob = base64.b64decode(key_line.split()[1])
    digest = base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    return f"SHA256:{digest}"


def _signed_data(message: bytes, namespace: str) -> bytes:
    digest = hashlib.sha512(message).digest()
    return _MAGIC + _string(namespace.encode()) + _string(b"") + _string(_HASH) + _string(digest)


def sign(key: Ed25519PrivateKey, message: bytes, namespace: str = NAMESPACE) -> str:
    """An armored SSHSIG signature of ``message``, as ``ssh-keygen -Y sign`` writes it."""
    raw = key.sign(_signed_data(message, namespace))
    blob = (
        _MAGIC
        + struct.pack(">I", 1)
        + _string(_public_blob(key.public_key()))
        + _string(namespace.encode())
        + _string(b"")
        + _string(_HASH)
        + _string(_string(_KEY_TYPE) + _string(raw))
    )
    return armor(blob)


def armor(blob: bytes) -> str:
    """PEM-style armor exactly as OpenSSH writes it (base64 lines of 70 characters)."""
    text = base64.b64encode(blob).decode()
    lines = [text[i : i + 70] for i in range(0, len(text), 70)]
    return "\n".join([_BEGIN, *lines, _END]) + "\n"


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, size: int) -> bytes:
        if self.pos + size > len(self.data):
            raise LedgerError("the signature is truncated")
        chunk = self.data[self.pos : self.pos + size]
        self.pos += size
        return chunk

    def string(self) -> bytes:
        (size,) = struct.unpack(">I", self.take(4))
        return self.take(size)


def verify(message: bytes, armored: str, namespace: str = NAMESPACE, *, strict: bool = True) -> str:
    """Check an armored SSHSIG Ed25519 signature; return the signer's public key line.

    ``strict`` (the default, used for the log) also requires the exact armor OpenSSH writes, so
    no byte of a stored signature can change without the check failing.

    Raises:
        LedgerError: malformed, wrong namespace or hash, not Ed25519, or the signature is invalid
            (never another exception, whatever the bytes).
    """
    try:
        return _verify(message, armored, namespace, strict)
    except (ValueError, struct.error, UnicodeError, TypeError) as exc:
        raise LedgerError(f"the signature is malformed ({type(exc).__name__})") from exc


def _verify(message: bytes, armored: str, namespace: str, strict: bool) -> str:
    text = armored.strip()
    if not (text.startswith(_BEGIN) and text.endswith(_END)):
        raise LedgerError("the signature is not an SSH signature")
    try:
        blob = base64.b64decode("".join(text[len(_BEGIN) : -len(_END)].split()), validate=True)
    except ValueError as exc:
        raise LedgerError("the signature is not valid base64") from exc
    if strict and armor(blob) != armored:
        raise LedgerError("the signature is not in OpenSSH's exact armored form")
    reader = _Reader(blob)
    if reader.take(6) != _MAGIC or struct.unpack(">I", reader.take(4))[0] != 1:
        raise LedgerError("the signature is not SSHSIG version 1")
    public_blob, space = reader.string(), reader.string().decode(errors="replace")
    reader.string()
    hash_name, sig_blob = reader.string(), reader.string()
    if space != namespace:
        raise LedgerError(f"the signature is for namespace {space!r}, not {namespace!r}")
    key_reader, sig_reader = _Reader(public_blob), _Reader(sig_blob)
    if key_reader.string() != _KEY_TYPE or sig_reader.string() != _KEY_TYPE:
        raise LedgerError("the signature is not Ed25519")
    if hash_name not in (b"sha512", b"sha256"):
        raise LedgerError("the signature uses an unknown hash")
    raw_key, raw_sig = key_reader.string(), sig_reader.string()
    if len(raw_key) != 32 or len(raw_sig) != 64:
        raise LedgerError("the signature's Ed25519 key or signature has the wrong length")
    digest = getattr(hashlib, hash_name.decode())(message).digest()
    data = _MAGIC + _string(space.encode()) + _string(b"") + _string(hash_name) + _string(digest)
    public = Ed25519PublicKey.from_public_bytes(raw_key)
    try:
        public.verify(raw_sig, data)
    except InvalidSignature as exc:
        raise LedgerError("the signature does not match the entry") from exc
    return public_key_line(public)


@dataclass(frozen=True)
class SigningKey:
    """An unlocked Ed25519 key and the principal it signs as."""

    private: Ed25519PrivateKey
    path: Path

    @property
    def public_line(self) -> str:
        """``ssh-ed25519 AAAA…`` (no comment)."""
        return public_key_line(self.private.public_key())

    def sign(self, message: bytes) -> str:
        """Armored SSHSIG signature of ``message`` in the ``bgwizard-drill`` namespace."""
        return sign(self.private, message)

    def __repr__(self) -> str:
        return f"SigningKey({str(self.path)!r}, {fingerprint(self.public_line)})"


def create_key(path: Path, passphrase: Secret, comment: str) -> SigningKey:
    """Create an Ed25519 key in OpenSSH format, encrypted with ``passphrase``; mode 0600.

    Writes ``path`` and ``path.pub`` (as ``ssh-keygen`` does) and never overwrites either.

    Raises:
        SignerKeyError: empty passphrase, the file exists, or it cannot be written.
    """
    if len(passphrase) < 8:
        raise SignerKeyError("The signing key passphrase must have at least 8 characters.")
    key = Ed25519PrivateKey.generate()
    encryption = serialization.BestAvailableEncryption(passphrase.reveal().encode())
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, encryption
    )
    public = f"{public_key_line(key.public_key())} {comment}\n".encode()
    pub = Path(f"{path}.pub")
    made: list[Path] = []
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Both files are new (O_EXCL, which never follows a symlink either): an existing
        # ``.pub`` (or a symlink planted there) is refused before anything is written.
        for target, data, mode in ((pub, public, 0o644), (path, pem, 0o600)):
            _write_new(target, data, mode)
            made.append(target)
    except FileExistsError as exc:
        _remove(made)
        raise SignerKeyError(
            f"{exc.filename or path} already exists; point to the key instead of creating it."
        ) from None
    except OSError as exc:
        _remove(made)
        raise SignerKeyError(f"Cannot write the signing key {path}: {exc.strerror}.") from None
    return SigningKey(key, path)


def _write_new(path: Path, data: bytes, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _remove(paths: list[Path]) -> None:
    for made in paths:
        with contextlib.suppress(OSError):
            made.unlink()


def load_key(path: Path, passphrase: Secret | None) -> SigningKey:
    """Load an OpenSSH Ed25519 private key (encrypted or not).

    Raises:
        SignerKeyError: missing file, wrong or missing passphrase, or not an Ed25519 OpenSSH key.
    """
    data = read_input(path, what="signing key", limit=1 * MiB, error=SignerKeyError)
    secret = passphrase.reveal().encode() if passphrase else None
    encrypted = key_needs_passphrase(path)
    if encrypted and secret is None:
        raise SignerKeyError(f"The signing key {path} needs its passphrase.")
    try:
        key = serialization.load_ssh_private_key(data, secret if encrypted else None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        if encrypted:
            raise SignerKeyError(f"Wrong passphrase for the signing key {path}.") from exc
        raise SignerKeyError(f"{path} is not an OpenSSH private key.") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise SignerKeyError(f"{path} is not an Ed25519 key; the drill log needs Ed25519.")
    return SigningKey(key, path)


def key_needs_passphrase(path: Path) -> bool:
    """Whether the OpenSSH key at ``path`` is encrypted (False when unreadable or plain)."""
    try:
        data = read_input(path, what="signing key", limit=1 * MiB, error=SignerKeyError)
        serialization.load_ssh_private_key(data, None)
    except TypeError:
        return True
    except (SignerKeyError, ValueError, UnsupportedAlgorithm):
        return False
    return False
