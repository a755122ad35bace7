"""The one data converter of every client, worker and replayer of ours: pydantic models, sealed end
to end by the payload codec (service/payload_codec.py)."""

from functools import lru_cache

from temporalio.contrib.pydantic import PydanticPayloadConverter
from temporalio.converter import DataConverter, DefaultFailureConverter

from service.payload_codec import (
    EncryptionCodec,
    UnauthenticatedPayloadConverter,
    parse_keyring,
)
from settings import Settings, get_settings


class ReviewPayloadConverter(PydanticPayloadConverter):
    """Pydantic JSON, and a refusal for every payload the codec could not authenticate."""

    def __init__(self) -> None:
        super().__init__()
        self._set_converters(*self.converters.values(), UnauthenticatedPayloadConverter())


class SealedFailureConverter(DefaultFailureConverter):
    """Failure messages and stack traces are sealed too: a validator's refusal or a pre-check error
    can quote a title or a line of the document."""

    def __init__(self) -> None:
        super().__init__(encode_common_attributes=True)


@lru_cache(maxsize=8)
def data_converter_for_keys(keys: str) -> DataConverter:
    return DataConverter(
        payload_converter_class=ReviewPayloadConverter,
        failure_converter_class=SealedFailureConverter,
        payload_codec=EncryptionCodec(parse_keyring(keys)),
    )


def data_converter_for(settings: Settings | None = None) -> DataConverter:
    return data_converter_for_keys((settings or get_settings()).payload_keys())
