"""The codec endpoint the Temporal Web UI calls to show sealed payloads: only administrators and GCU
staff read through it, only administrators seal, and the CORS answers let the UI's origin (and no
other) call it with the browser's session cookie."""

import asyncio

import pytest
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads

from service.data_converter import data_converter_for

UI = "http://127.0.0.1:8233"
TITLE = b'"Interview outline W-17"'
READERS = {"gcu.albrecht", "gcu.velde", "gcu.head", "admin"}


def body(*payloads: Payload) -> dict:
    return json_format.MessageToDict(Payloads(payloads=list(payloads)))


def plain(data: bytes = TITLE) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=data)


def sealed(data: bytes = TITLE) -> Payload:
    return asyncio.run(data_converter_for().payload_codec.encode([plain(data)]))[0]


def payloads_of(response) -> list[Payload]:
    return list(json_format.ParseDict(response.json(), Payloads()).payloads)


@pytest.mark.parametrize(
    "username", ["anonymous", "heron.lead", "kestrel.inv", "gcu.albrecht", "gcu.velde", "gcu.head", "dp.marsh", "admin"]
)
def test_only_administrators_and_gcu_staff_read_sealed_payloads(clients, username):
    response = clients[username].post("/codec/decode", json=body(sealed()), headers={"Origin": UI})
    if username in READERS:
        assert response.status_code == 200, response.text
        assert payloads_of(response) == [plain()]
        assert response.headers["access-control-allow-origin"] == UI
        assert response.headers["access-control-allow-credentials"] == "true"
    else:
        assert response.status_code == (401 if username == "anonymous" else 403), response.text
        assert TITLE.decode() not in response.text
        assert (
            "sign in" in response.json()["detail"]
            if username == "anonymous"
            else "GCU staff only" in response.json()["detail"]
        )
        # The UI still learns why (the CORS headers come with the refusal).
        assert response.headers["access-control-allow-origin"] == UI


@pytest.mark.parametrize(
    "username, status", [("admin", 200), ("gcu.head", 403), ("heron.lead", 403), ("anonymous", 401)]
)
def test_only_administrators_seal_payloads(clients, username, status):
    response = clients[username].post("/codec/encode", json=body(plain()), headers={"Origin": UI})
    assert response.status_code == status, response.text
    if status == 200:
        [out] = payloads_of(response)
        assert out.metadata["encoding"] == b"binary/encrypted" and TITLE not in out.data
        opened = clients["admin"].post("/codec/decode", json=body(out))
        assert payloads_of(opened) == [plain()]


def test_an_api_token_opens_payloads_for_the_temporal_cli(app, tokens):
    from fastapi.testclient import TestClient

    with TestClient(app) as client:
        reviewer = client.post(
            "/codec/decode", json=body(sealed()), headers={"Authorization": f"Bearer {tokens['gcu.head']}"}
        )
        team = client.post(
            "/codec/decode", json=body(sealed()), headers={"Authorization": f"Bearer {tokens['heron.lead']}"}
        )
        forged = client.post("/codec/decode", json=body(sealed()), headers={"Authorization": "Bearer not-a-token"})
    assert reviewer.status_code == 200 and payloads_of(reviewer) == [plain()]
    assert (team.status_code, forged.status_code) == (403, 401)


def test_the_ui_origin_passes_the_preflight_and_other_origins_do_not(clients):
    allowed = clients["anonymous"].options(
        "/codec/decode",
        headers={
            "Origin": UI,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-namespace",
        },
    )
    assert allowed.status_code == 204
    assert allowed.headers["access-control-allow-origin"] == UI
    assert allowed.headers["access-control-allow-credentials"] == "true"
    assert "x-namespace" in allowed.headers["access-control-allow-headers"]
    assert "POST" in allowed.headers["access-control-allow-methods"]
    other = clients["anonymous"].options(
        "/codec/decode", headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"}
    )
    assert "access-control-allow-origin" not in other.headers
    refused = clients["admin"].post("/codec/decode", json=body(sealed()), headers={"Origin": "http://evil.example"})
    assert refused.status_code == 403 and "origin" in refused.json()["detail"]
    assert "access-control-allow-origin" not in refused.headers


def test_a_payload_that_is_not_ours_comes_back_unchanged(clients):
    response = clients["gcu.head"].post("/codec/decode", json=body(plain(b'"forged"'), sealed()))
    assert payloads_of(response) == [plain(b'"forged"'), plain()]


def test_bad_requests_are_refused_with_a_reason(clients):
    other_namespace = clients["admin"].post("/codec/decode", json=body(sealed()), headers={"X-Namespace": "elsewhere"})
    assert other_namespace.status_code == 403 and "namespace" in other_namespace.json()["detail"]
    same_namespace = clients["admin"].post("/codec/decode", json=body(sealed()), headers={"X-Namespace": "default"})
    assert same_namespace.status_code == 200
    garbage = clients["admin"].post("/codec/decode", content=b"{not json", headers={"Content-Type": "application/json"})
    assert garbage.status_code == 400 and "Payloads" in garbage.json()["detail"]
    wrong_shape = clients["admin"].post("/codec/decode", json={"payloads": "not a list"})
    assert wrong_shape.status_code == 400
