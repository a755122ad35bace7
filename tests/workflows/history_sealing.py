"""Every payload of a workflow history that goes through our codec (search attributes, headers
and SDK core's marker bookkeeping aside, which Temporal reads itself): to check what the Temporal server holds, and to seal the
histories recorded before the payload codec existed (`SEAL_HISTORIES=1`, tests/workflows/test_replay.py)."""

from collections.abc import Iterator

from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload
from temporalio.client import WorkflowHistory

from service.payload_codec import ENCRYPTED_ENCODING, EncryptionCodec

_NOT_CODEC_PAYLOADS = {"temporal.api.common.v1.SearchAttributes", "temporal.api.common.v1.Header"}


def codec_payloads(message: Message) -> Iterator[Payload]:
    for field, value in message.ListFields():
        kind = field.message_type
        if kind is None or kind.full_name in _NOT_CODEC_PAYLOADS:
            continue
        if kind.GetOptions().map_entry:
            if kind.fields_by_name["value"].message_type is None:
                continue
            children = list(value.values())
        elif field.is_repeated:
            children = list(value)
        else:
            children = [value]
        for child in children:
            if kind.full_name == Payload.DESCRIPTOR.full_name or isinstance(child, Payload):
                yield child
            else:
                yield from codec_payloads(child)


# SDK core's own bookkeeping in its markers (patch ids; a local activity's type, attempt and
# times), which core reads itself, without the codec. The local activity's result is ours.
_CORE_MARKER_DETAILS = {"patch-data", "data"}


def history_payloads(history: WorkflowHistory) -> Iterator[Payload]:
    for event in history.events:
        if event.HasField("marker_recorded_event_attributes"):
            marker = event.marker_recorded_event_attributes
            for key, payloads in marker.details.items():
                if not (marker.marker_name.startswith("core_") and key in _CORE_MARKER_DETAILS):
                    yield from payloads.payloads
            if marker.HasField("failure"):
                yield from codec_payloads(marker.failure)
            continue
        yield from codec_payloads(event)


def seal_history(history: WorkflowHistory, codec: EncryptionCodec) -> int:
    """Seal, in place, each payload still in clear; returns how many."""
    sealed = 0
    for payload in history_payloads(history):
        if payload.metadata.get("encoding") != ENCRYPTED_ENCODING:
            payload.CopyFrom(codec.seal(payload))
            sealed += 1
    return sealed
