"""The one Temporal client factory (worker, CLI, web app and tests all use it), with the one data
converter, whose codec seals every payload (service/data_converter.py)."""

from temporalio.client import Client, TLSConfig

from service.data_converter import data_converter_for
from settings import Settings, get_settings


def _tls_config(settings: Settings) -> TLSConfig | bool:
    if settings.temporal_tls_cert and settings.temporal_tls_key:
        return TLSConfig(
            client_cert=settings.temporal_tls_cert.read_bytes(),
            client_private_key=settings.temporal_tls_key.read_bytes(),
            server_root_ca_cert=settings.temporal_tls_ca.read_bytes() if settings.temporal_tls_ca else None,
        )
    # Temporal Cloud API keys require TLS.
    return bool(settings.temporal_api_key)


async def connect(settings: Settings | None = None) -> Client:
    settings = settings or get_settings()
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        api_key=settings.temporal_api_key.get_secret_value() if settings.temporal_api_key else None,
        tls=_tls_config(settings),
        data_converter=data_converter_for(settings),
    )
