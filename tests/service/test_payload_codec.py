"""The payload codec: sealed payloads say which key sealed them, open with current and retired keys,
and anything not sealed by us opens to a refusal that the converter rejects (never an exception in
the codec, which would poison the workflow task)."""

import subprocess
import sys

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.exceptions import ApplicationError

from models.messages import Actor, ClaimRequest
from service.data_converter import data_converter_for_keys
from service.payload_codec import (
    ENCRYPTED_ENCODING,
    KEY_ID_METADATA,
    UNAUTHENTICATED_ENCODING,
    EncryptionCodec,
    PayloadKeyError,
    UnknownPayloadKeyError,
    new_key_entry,
    parse_keyring,
)
from settings import DEV_PAYLOAD_KEYS, ConfigurationError, Settings

OLD = new_key_entry("2026-06")
NEW = new_key_entry("2026-12")
CLAIM = ClaimRequest(actor=Actor(staff_id="gcu-rev-1", roles=["gcu_reviewer"], team_ids=[]), request_id="r-1")


def plain(text: str = "Interview outline W-17") -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=f'"{text}"'.encode())


async def test_a_sealed_payload_names_its_key_and_holds_no_clear_text():
    codec = EncryptionCodec(parse_keyring(NEW))
    [sealed] = await codec.encode([plain()])
    assert sealed.metadata["encoding"] == ENCRYPTED_ENCODING
    assert sealed.metadata[KEY_ID_METADATA] == b"2026-12"
    assert b"Interview" not in sealed.SerializeToString()
    assert await codec.decode([sealed]) == [plain()]


async def test_rotation_seals_with_the_first_key_and_still_opens_with_retired_ones():
    before = EncryptionCodec(parse_keyring(OLD))
    after = EncryptionCodec(parse_keyring(f"{NEW},{OLD}"))
    [old_payload] = await before.encode([plain("old")])
    [new_payload] = await after.encode([plain("new")])
    assert new_payload.metadata[KEY_ID_METADATA] == b"2026-12"
    assert await after.decode([old_payload, new_payload]) == [plain("old"), plain("new")]
    # Once the old key is dropped, its payloads no longer open (and say why).
    [refused] = await EncryptionCodec(parse_keyring(NEW)).decode([old_payload])
    assert refused.metadata["encoding"] == UNAUTHENTICATED_ENCODING
    assert b"2026-06" in refused.metadata["refusal"]


@pytest.mark.parametrize("forge", ["clear", "tampered", "relabelled", "other key"])
async def test_a_payload_not_sealed_by_us_opens_to_a_refusal_without_raising(forge):
    codec = EncryptionCodec(parse_keyring(f"{NEW},{OLD}"))
    [sealed] = await codec.encode([plain()])
    if forge == "clear":
        payload = plain()
    elif forge == "tampered":
        payload = Payload(metadata=dict(sealed.metadata), data=sealed.data[:-1] + bytes([sealed.data[-1] ^ 1]))
    elif forge == "relabelled":  # the same ciphertext claimed for the retired key
        payload = Payload(metadata={**sealed.metadata, KEY_ID_METADATA: b"2026-06"}, data=sealed.data)
    else:
        [payload] = await EncryptionCodec(parse_keyring(new_key_entry("2026-12"))).encode([plain()])
    [opened] = await codec.decode([payload])
    assert opened.metadata["encoding"] == UNAUTHENTICATED_ENCODING


async def test_the_converter_refuses_what_the_codec_could_not_open():
    converter = data_converter_for_keys(NEW)
    sealed = await converter.encode([CLAIM])
    assert await converter.decode(sealed, [ClaimRequest]) == [CLAIM]
    clear_claim = Payload(metadata={"encoding": b"json/plain"}, data=CLAIM.model_dump_json().encode())
    with pytest.raises(ApplicationError, match="not encrypted with the gcu-review payload key") as forged:
        await converter.decode([clear_claim], [ClaimRequest])
    assert (forged.value.type, forged.value.non_retryable) == ("ForgedPayload", True)
    # Sealed with a key this process lacks: a configuration error, not an ApplicationError (which
    # would fail a review for good); the workflow task fails and is retried until the key is back.
    [other] = await data_converter_for_keys(OLD).encode([CLAIM])
    with pytest.raises(UnknownPayloadKeyError, match="key '2026-06', which is not configured"):
        await converter.decode([other], [ClaimRequest])


@pytest.mark.parametrize(
    "keys, problem",
    [
        ("", "holds no key"),
        ("nokey", "entry 1: expected KEY_ID:BASE64_KEY"),
        ("a:not base64!", "entry 1 (a): the key is not valid base64"),
        ("a:" + "QUFB" * 4, "entry 1 (a): the key has 12 bytes, AES-256 needs 32"),
        (f"{NEW},{NEW}", "entry 2: key id '2026-12' appears twice"),
    ],
)
def test_a_malformed_key_list_is_refused_with_the_entry_named(keys, problem):
    with pytest.raises(PayloadKeyError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        parse_keyring(keys)


def test_production_refuses_to_start_without_its_own_keys():
    production = {"environment": "production", "secret_key": "kQ7vX2pLr9TzH4bN6yJc8dFs1gUe5aWm-payload-test"}
    with pytest.raises(ConfigurationError, match="TEMPORAL_PAYLOAD_KEYS must be set"):
        Settings(**production)
    with pytest.raises(ConfigurationError, match="TEMPORAL_PAYLOAD_KEYS must be set"):
        Settings(**production, temporal_payload_keys=DEV_PAYLOAD_KEYS)
    with pytest.raises(ConfigurationError, match="TEMPORAL_PAYLOAD_KEYS must be set"):  # not even as a retired key
        Settings(**production, temporal_payload_keys=f"{NEW},{DEV_PAYLOAD_KEYS.replace('dev-insecure', 'old')}")
    with pytest.raises(ConfigurationError, match="the key is not valid base64"):
        Settings(**production, temporal_payload_keys="k:???")
    settings = Settings(**production, temporal_payload_keys=f"{NEW},{OLD}")
    assert parse_keyring(settings.payload_keys()).current_id == "2026-12"
    assert NEW.split(":")[1] not in repr(settings) + str(settings)


def test_development_gets_the_development_key_without_configuration():
    assert Settings(environment="development").payload_keys() == DEV_PAYLOAD_KEYS


def test_keys_new_prints_a_usable_entry():
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", "keys", "new", "--id", "2027-01"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    keyring = parse_keyring(done.stdout.strip())
    assert keyring.current_id == "2027-01" and len(keyring.keys["2027-01"]) == 32
