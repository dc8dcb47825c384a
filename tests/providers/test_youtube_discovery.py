"""The emulator's contract tables against Google's discovery document, field by field.

The document ships in google-api-python-client
(``googleapiclient/discovery_cache/documents/youtube.v3.json``); it is the one machine-readable
statement of routes, parameters, enums, scopes and part names, so any drift fails here.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from providers.sandbox import Sandbox
from providers.sandbox.chat import LIVE_CHAT_LIST
from providers.sandbox.moderation import LIVE_CHAT_MODERATION
from providers.sandbox.youtube import (
    GLOBAL_PARAMS,
    METHODS,
    SCHEMAS,
    YOUTUBE_SCOPES,
    YouTubeEmulator,
)
from providers.youtube import QUOTA_COSTS, upload_base

discovery_cache = pytest.importorskip("googleapiclient.discovery_cache")


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return json.loads(discovery_cache.get_static_doc("youtube", "v3"))


def method_doc(doc: dict[str, Any], method_id: str) -> dict[str, Any]:
    _, resource, name = method_id.split(".")
    return doc["resources"][resource]["methods"][name]


def parts_in(description: str) -> set[str]:
    """The part names a description lists ("... are id, snippet, and status.")."""
    match = re.search(r"parameter value (?:are|is) (.+?)\.(?:\s|$)", description)
    assert match, description
    names = re.split(r",\s*(?:and\s+)?|\s+and\s+", match.group(1))
    return {n.strip() for n in names if n.strip()}


def test_document_is_the_expected_revision(doc: dict[str, Any]) -> None:
    assert doc["name"] == "youtube" and doc["version"] == "v3"
    assert doc["servicePath"] == ""


def test_scopes(doc: dict[str, Any]) -> None:
    assert set(YOUTUBE_SCOPES) == set(doc["auth"]["oauth2"]["scopes"])


def test_global_parameters(doc: dict[str, Any]) -> None:
    assert set(GLOBAL_PARAMS) == set(doc["parameters"])
    for name, spec in GLOBAL_PARAMS.items():
        declared = doc["parameters"][name]
        assert spec.type == declared["type"], name
        assert spec.enum == (tuple(declared["enum"]) if "enum" in declared else None), name


@pytest.mark.parametrize("method_id", sorted(METHODS))
def test_method_agrees_with_discovery(doc: dict[str, Any], method_id: str) -> None:
    method = METHODS[method_id]
    declared = method_doc(doc, method_id)
    assert declared["id"] == method.id
    assert declared["httpMethod"] == method.http_method
    assert declared["path"] == method.path
    assert set(declared.get("scopes", ())) == set(method.scopes)
    assert ("request" in declared) == method.has_body
    assert set(declared["parameters"]) == set(method.params)
    for name, spec in method.params.items():
        param = declared["parameters"][name]
        assert param["location"] == "query", name
        assert spec.type == param["type"], name
        assert spec.required == param.get("required", False), name
        assert spec.repeated == param.get("repeated", False), name
        assert spec.enum == (tuple(param["enum"]) if "enum" in param else None), name
        minimum = int(param["minimum"]) if "minimum" in param else None
        maximum = int(param["maximum"]) if "maximum" in param else None
        assert (spec.minimum, spec.maximum) == (minimum, maximum), name
    if "part" in declared["parameters"]:
        description = declared["parameters"]["part"]["description"]
        if "part names that you can include" in description or "part properties" in description:
            assert set(method.parts) == parts_in(description)
        else:  # videos.list names no parts: every Video property but kind and etag is one
            schema = doc["schemas"][declared["response"]["$ref"].removesuffix("ListResponse")]
            assert set(method.parts) == set(schema["properties"]) - {"kind", "etag"}
    else:
        assert method.parts == ()


def test_every_served_method_has_a_quota_cost_the_provider_agrees_on() -> None:
    served = (*METHODS.values(), *LIVE_CHAT_MODERATION)  # list has its own budget (chat)
    assert {m.id: m.cost for m in served} == QUOTA_COSTS


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_body_schema_agrees_with_discovery(doc: dict[str, Any], name: str) -> None:
    declared = doc["schemas"][name]["properties"]
    assert set(SCHEMAS[name]) == set(declared)
    for prop, (kind, enum) in SCHEMAS[name].items():
        field = declared[prop]
        assert kind == ("$" + field["$ref"] if "$ref" in field else field["type"]), prop
        assert enum == (tuple(field["enum"]) if "enum" in field else None), prop


def served_routes(emulator: YouTubeEmulator, prefix: str) -> set[tuple[str, str]]:
    return {
        (route.method, route.resource.canonical)
        for route in emulator.app().router.routes()
        if route.resource is not None and route.resource.canonical.startswith(prefix)
    }


def test_routes_are_exactly_the_table(emulator: YouTubeEmulator) -> None:
    served = served_routes(emulator, "/youtube/")
    # live chat and its moderation have their own modules and tables
    tables = (*METHODS.values(), LIVE_CHAT_LIST, *LIVE_CHAT_MODERATION)
    assert served == {
        (m.http_method, "/" + m.path) for m in tables if getattr(m, "upload_path", None) is None
    }


def test_upload_routes_are_the_discovery_simple_upload_paths(
    doc: dict[str, Any], emulator: YouTubeEmulator
) -> None:
    uploads = {m.id: m for m in METHODS.values() if m.upload_path is not None}
    assert set(uploads) == {"youtube.thumbnails.set"}
    for method_id, method in uploads.items():
        declared = method_doc(doc, method_id)
        assert declared["supportsMediaUpload"] is True
        assert "/" + method.upload_path == declared["mediaUpload"]["protocols"]["simple"]["path"]
    assert served_routes(emulator, "/upload/") == {
        (m.http_method, "/" + m.upload_path) for m in uploads.values() if m.upload_path
    }


def test_thumbnail_limits_agree_with_discovery_and_the_reference_page(
    doc: dict[str, Any],
) -> None:
    from providers import youtube as provider
    from providers.sandbox import youtube as sandbox

    media = method_doc(doc, "youtube.thumbnails.set")["mediaUpload"]
    assert tuple(media["accept"]) == sandbox.THUMBNAIL_TYPES
    # the reference page's 2 MB is stricter than discovery's maxSize, and is what both enforce
    assert sandbox.THUMBNAIL_MAX_BYTES == provider.THUMBNAIL_MAX_BYTES <= int(media["maxSize"])
    assert sandbox.CLIENT_MAX_SIZE > sandbox.THUMBNAIL_MAX_BYTES


@pytest.mark.parametrize("method_id", sorted(METHODS))
async def test_each_required_parameter_is_enforced(
    raw: httpx.AsyncClient,
    bearer: Callable[..., dict[str, str]],
    doc: dict[str, Any],
    method_id: str,
) -> None:
    method = METHODS[method_id]
    declared = method_doc(doc, method_id)
    required = [n for n, p in declared["parameters"].items() if p.get("required")]
    full = {n: "live" if n == "broadcastStatus" else "id" for n in required}
    for missing in required:
        params = {k: v for k, v in full.items() if k != missing}
        path = method.path.removeprefix("youtube/v3/")
        if method.upload_path is not None:
            path = upload_base(str(raw.base_url)) + "/thumbnails/set"
            params["uploadType"] = "media"
        response = await raw.request(
            method.http_method,
            path,
            params=params,
            json={} if method.has_body else None,
            headers=bearer(),
        )
        assert response.status_code == 400, (missing, response.text)
        item = response.json()["error"]["errors"][0]
        assert (item["reason"], item["location"]) == ("required", missing)


async def test_google_api_python_client_talks_to_the_emulator(
    sandbox: Sandbox, emulator: YouTubeEmulator
) -> None:
    """Google's own client, built from the same document, works against the emulator."""
    discovery = pytest.importorskip("googleapiclient.discovery")
    google_credentials = pytest.importorskip("google.oauth2.credentials")
    token = emulator.oauth.issue_tokens(emulator.client_id)["access_token"]
    root = sandbox.urls["youtube"] + "/"

    def run() -> tuple[dict[str, Any], dict[str, Any]]:
        service = discovery.build(
            "youtube",
            "v3",
            credentials=google_credentials.Credentials(token),
            client_options={"api_endpoint": root},
            static_discovery=True,
        )
        created = (
            service.liveBroadcasts()
            .insert(
                part="snippet,status",
                body={
                    "snippet": {
                        "title": "From googleapiclient",
                        "scheduledStartTime": "2030-01-01T00:00:00Z",
                    },
                    "status": {"privacyStatus": "private"},
                },
            )
            .execute()
        )
        listed = service.liveBroadcasts().list(part="id,status", id=created["id"]).execute()
        return created, listed

    created, listed = await asyncio.to_thread(run)
    assert created["snippet"]["title"] == "From googleapiclient"
    assert [item["id"] for item in listed["items"]] == [created["id"]]


async def test_google_api_python_client_sets_category_and_thumbnail(
    sandbox: Sandbox, emulator: YouTubeEmulator, doc: dict[str, Any]
) -> None:
    """Google's client finds the update and the upload routes where the document puts them.

    The client builds upload URLs from the document's ``rootUrl`` (``api_endpoint`` does not
    reach them), so the document is given the emulator's root.
    """
    discovery = pytest.importorskip("googleapiclient.discovery")
    http_media = pytest.importorskip("googleapiclient.http")
    google_credentials = pytest.importorskip("google.oauth2.credentials")
    token = emulator.oauth.issue_tokens(emulator.client_id)["access_token"]
    root = sandbox.urls["youtube"] + "/"
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32

    def run() -> tuple[str, dict[str, Any], dict[str, Any]]:
        service = discovery.build_from_document(
            {**doc, "rootUrl": root, "baseUrl": root},
            credentials=google_credentials.Credentials(token),
        )
        created = (
            service.liveBroadcasts()
            .insert(
                part="snippet,status",
                body={
                    "snippet": {"title": "Media", "scheduledStartTime": "2030-01-01T00:00:00Z"},
                    "status": {"privacyStatus": "private"},
                },
            )
            .execute()
        )
        updated = (
            service.videos()
            .update(
                part="snippet",
                body={"id": created["id"], "snippet": {"title": "Media", "categoryId": "27"}},
            )
            .execute()
        )
        media = http_media.MediaInMemoryUpload(png, mimetype="image/png")
        thumbs = service.thumbnails().set(videoId=created["id"], media_body=media).execute()
        return created["id"], updated, thumbs

    video_id, updated, thumbs = await asyncio.to_thread(run)
    assert updated["snippet"]["categoryId"] == "27"
    assert thumbs["kind"] == "youtube#thumbnailSetResponse"
    assert emulator.broadcasts[video_id].thumbnail == ("image/png", png)
