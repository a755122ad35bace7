"""End-to-end encryption of Temporal payloads (AES-256-GCM), so the Temporal server holds no
witness-related text (titles, findings, reasons) in clear, and a client without the key can
neither read a review nor act on it.

Every payload our clients and workers write is sealed with the current key; its id travels in the
payload's metadata, so payloads sealed with a retired key stay readable while that key is kept
(rotation: docs/production.md). GCM authenticates as well as encrypts: a payload someone wrote
without the key (`temporal workflow update execute --input '{...}'`) is not ours.

Such a payload must not make `decode` raise: the worker decodes a whole workflow activation at
once, and an exception there fails the workflow task, which Temporal retries for ever (a poisoned
review that no legitimate action can reach). Instead it decodes to a payload of encoding
`binary/unauthenticated`, which the payload converter refuses (`UnauthenticatedPayloadConverter`),
and the SDK handles the refusal where the value is needed (temporalio/worker/_workflow_instance.py):
- an update's argument is converted before its validator runs: the update is rejected and leaves
  no trace in the history; the review goes on;
- a signal whose argument cannot be converted is dropped; a query fails;
- a forged start (a workflow input in clear, or a ciphertext that does not authenticate) is refused
  with an ApplicationError, which the SDK turns into a failed workflow, not a failed task;
- a payload sealed with a key this process does not have is no forgery but a configuration error
  (a retired key removed too early): UnknownPayloadKeyError fails only the workflow task, which
  Temporal retries until the key is configured again; no review fails for it.
"""

import base64
import binascii
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import EncodingPayloadConverter, PayloadCodec
from temporalio.exceptions import ApplicationError

ENCRYPTED_ENCODING = b"binary/encrypted"
UNAUTHENTICATED_ENCODING = b"binary/unauthenticated"
KEY_ID_METADATA = "encryption-key-id"
REFUSAL_METADATA = "refusal"
NONCE_BYTES = 12
KEY_BYTES = 32
_KEY_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class PayloadKeyError(ValueError):
    """A malformed TEMPORAL_PAYLOAD_KEYS value; the message names the entry and what is wrong."""


FORGED_PAYLOAD_ERROR = "ForgedPayload"


class UnknownPayloadKeyError(ValueError):
    """A payload sealed with a key id this process does not know.

    Deliberately not a Temporal ApplicationError, which would fail a review for good where the SDK
    converts inside workflow code; this fails only the workflow task, retried until the key is back."""


@dataclass(frozen=True)
class Keyring:
    """The key that seals new payloads, and every key (current and retired) that may open one."""

    current_id: str
    keys: dict[str, bytes]

    def __post_init__(self) -> None:
        if self.current_id not in self.keys:
            raise PayloadKeyError(f"the current key {self.current_id!r} is not among the keys")

    def __repr__(self) -> str:  # never the key bytes (tracebacks, logs)
        return f"Keyring(current_id={self.current_id!r}, key_ids={sorted(self.keys)!r})"


def new_key_entry(key_id: str) -> str:
    """One `KEY_ID:BASE64` entry with a fresh random 256-bit key (`gcu-review keys new`)."""
    if not _KEY_ID.match(key_id):
        raise PayloadKeyError(f"key id {key_id!r}: use 1-64 letters, digits, '.', '_' or '-'")
    return f"{key_id}:{base64.b64encode(AESGCM.generate_key(bit_length=256)).decode('ascii')}"


def parse_keyring(text: str) -> Keyring:
    """`KEY_ID:BASE64,KEY_ID:BASE64,...`: the first entry seals new payloads, all of them open."""
    keys: dict[str, bytes] = {}
    current = ""
    for position, entry in enumerate((e.strip() for e in text.split(",")), start=1):
        if not entry:
            continue
        key_id, sep, encoded = entry.partition(":")
        key_id = key_id.strip()
        if not sep or not _KEY_ID.match(key_id):
            raise PayloadKeyError(
                f"TEMPORAL_PAYLOAD_KEYS entry {position}: expected KEY_ID:BASE64_KEY with a key id of "
                "1-64 letters, digits, '.', '_' or '-'"
            )
        try:
            key = base64.b64decode(encoded.strip().replace("-", "+").replace("_", "/"), validate=True)
        except (binascii.Error, ValueError):
            raise PayloadKeyError(
                f"TEMPORAL_PAYLOAD_KEYS entry {position} ({key_id}): the key is not valid base64"
            ) from None
        if len(key) != KEY_BYTES:
            raise PayloadKeyError(
                f"TEMPORAL_PAYLOAD_KEYS entry {position} ({key_id}): the key has {len(key)} bytes, "
                f"AES-256 needs {KEY_BYTES}"
            )
        if key_id in keys:
            raise PayloadKeyError(f"TEMPORAL_PAYLOAD_KEYS entry {position}: key id {key_id!r} appears twice")
        keys[key_id] = key
        current = current or key_id
    if not keys:
        raise PayloadKeyError("TEMPORAL_PAYLOAD_KEYS holds no key")
    return Keyring(current_id=current, keys=keys)


def _associated_data(key_id: str) -> bytes:
    # Binds the ciphertext to the key id in the clear metadata: relabelling a payload fails to open.
    return b"gcu-review/payload/v1:" + key_id.encode("ascii")


REFUSAL_KIND_METADATA = "refusal-kind"


def _refused(why: str, *, forged: bool = True) -> Payload:
    return Payload(
        metadata={
            "encoding": UNAUTHENTICATED_ENCODING,
            REFUSAL_METADATA: why.encode(),
            REFUSAL_KIND_METADATA: b"forged" if forged else b"unknown-key",
        }
    )


class EncryptionCodec(PayloadCodec):
    def __init__(self, keyring: Keyring) -> None:
        super().__init__()
        self._keyring = keyring
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keyring.keys.items()}

    @property
    def current_key_id(self) -> str:
        return self._keyring.current_id

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.seal(p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.open(p) for p in payloads]

    def seal(self, payload: Payload) -> Payload:
        key_id = self._keyring.current_id
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._ciphers[key_id].encrypt(nonce, payload.SerializeToString(), _associated_data(key_id))
        return Payload(
            metadata={"encoding": ENCRYPTED_ENCODING, KEY_ID_METADATA: key_id.encode("ascii")},
            data=nonce + sealed,
        )

    def open(self, payload: Payload) -> Payload:
        """The original payload, or a `binary/unauthenticated` one saying why not (never raises)."""
        if payload.metadata.get("encoding") != ENCRYPTED_ENCODING:
            return _refused("the payload is not encrypted with the gcu-review payload key")
        key_id = payload.metadata.get(KEY_ID_METADATA, b"").decode("ascii", "replace")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            return _refused(f"the payload is sealed with key {key_id!r}, which is not configured", forged=False)
        try:
            plain = cipher.decrypt(payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:], _associated_data(key_id))
        except InvalidTag:
            return _refused(f"the payload does not authenticate with key {key_id!r}")
        opened = Payload()
        opened.ParseFromString(plain)
        return opened


def opened_all(payloads: Iterable[Payload]) -> bool:
    return all(p.metadata.get("encoding") != UNAUTHENTICATED_ENCODING for p in payloads)


class UnauthenticatedPayloadConverter(EncodingPayloadConverter):
    """Refuses every payload the codec could not open; never used to write one."""

    @property
    def encoding(self) -> str:
        return UNAUTHENTICATED_ENCODING.decode()

    def to_payload(self, value: Any) -> Payload | None:
        return None

    def from_payload(self, payload: Payload, type_hint: type | None = None) -> Any:
        why = f"refused: {payload.metadata.get(REFUSAL_METADATA, b'').decode('utf-8', 'replace')}"
        if payload.metadata.get(REFUSAL_KIND_METADATA) == b"unknown-key":
            raise UnknownPayloadKeyError(why)
        raise ApplicationError(why, type=FORGED_PAYLOAD_ERROR, non_retryable=True)
