"""The OpenAPI 3.1 document of ``/api/``, built from the pydantic models the routes use.

The operation table below is the one place an endpoint is described; a test checks it
against the routes the app serves, so the two cannot drift apart.
"""

from __future__ import annotations

import functools
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from bot.api import schemas
from providers import platforms
from providers.base import Kind

JSON = "application/json"
PROBLEM = "application/problem+json"

#: (method, path, summary, request model, success status, response model, extra error codes)
OPERATIONS: list[tuple[str, str, str, type[BaseModel] | None, int, type[BaseModel], tuple]] = [
    ("POST", "/api/livestreams", "Create a broadcast on every chosen platform",
     schemas.LivestreamCreate, 201, schemas.Livestream, (400, 409, 422, 502)),
    ("GET", "/api/livestreams", "Recent broadcasts", None, 200, schemas.LivestreamList, ()),
    ("GET", "/api/livestreams/{id}", "One broadcast with every platform's state", None, 200,
     schemas.Livestream, (404,)),
    ("PATCH", "/api/livestreams/{id}", "Reschedule or edit a broadcast before it starts",
     schemas.LivestreamPatch, 200, schemas.Livestream, (400, 404, 409, 422, 502)),
    ("DELETE", "/api/livestreams/{id}", "Cancel a broadcast", None, 200, schemas.Livestream,
     (404, 409, 422)),
    ("POST", "/api/livestreams/{id}/start", "Start on every platform (202: poll for progress)",
     None, 202, schemas.Livestream, (404, 409, 422)),
    ("POST", "/api/livestreams/{id}/stop", "Stop on every platform (202: poll for progress)",
     None, 202, schemas.Livestream, (404, 409, 422)),
    ("GET", "/api/livestreams/{id}/report", "Per-platform figures of a broadcast", None, 200,
     schemas.Report, (404,)),
    ("POST", "/api/meetings", "Create a meeting on every chosen platform", schemas.MeetingCreate,
     201, schemas.Meeting, (400, 409, 422, 502)),
    ("GET", "/api/meetings", "Recent meetings", None, 200, schemas.MeetingList, ()),
    ("GET", "/api/meetings/{id}", "One meeting with every join link", None, 200, schemas.Meeting,
     (404,)),
    ("PATCH", "/api/meetings/{id}", "Change a meeting's title, time or length",
     schemas.MeetingPatch, 200, schemas.Meeting, (400, 404, 409, 422)),
    ("DELETE", "/api/meetings/{id}", "Cancel a meeting on every platform", None, 200,
     schemas.Meeting, (404, 409, 422)),
    ("GET", "/api/platforms", "Platform connections and their status (never a secret)", None,
     200, schemas.ConnectionList, ()),
]  # fmt: skip

ERRORS = {
    400: "The request is malformed or a field is invalid.",
    401: "No token, or the token is unknown or revoked.",
    403: "The token's scope does not allow this call.",
    404: "No such broadcast or meeting in this workspace.",
    409: "A request with this Idempotency-Key is still running, or the item is busy.",
    422: "Understood but refused: a platform choice, state or reused Idempotency-Key.",
    502: "A platform failed; the detail says which and what to do.",
}

_MODELS = [
    schemas.LivestreamCreate,
    schemas.LivestreamPatch,
    schemas.MeetingCreate,
    schemas.MeetingPatch,
    schemas.Livestream,
    schemas.LivestreamList,
    schemas.Meeting,
    schemas.MeetingList,
    schemas.ConnectionList,
    schemas.Report,
    schemas.Problem,
]


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _operation(
    method: str, summary: str, body: type[BaseModel] | None, ok: int, out, errors: tuple
) -> dict[str, Any]:
    responses: dict[str, Any] = {
        str(ok): {"description": "OK", "content": {JSON: {"schema": _ref(out)}}}
    }
    if ok == 202:
        responses["200"] = {
            "description": "Finished (with Prefer: wait)",
            "content": {JSON: {"schema": _ref(out)}},
        }
    for code in sorted({400, 401, 403, *errors} if method != "GET" else {401, *errors}):
        responses[str(code)] = {
            "description": ERRORS[code],
            "content": {PROBLEM: {"schema": _ref(schemas.Problem)}},
        }
    op: dict[str, Any] = {"summary": summary, "responses": responses}
    params = []
    if method != "GET":
        params.append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "description": "Retries with the same key create or change nothing twice.",
                "schema": {"type": "string", "minLength": 1, "maxLength": 255},
            }
        )
    if ok == 202:
        params.append(
            {
                "name": "Prefer",
                "in": "header",
                "required": False,
                "description": "`wait` runs the change to its end before answering (200).",
                "schema": {"type": "string", "enum": ["wait", "respond-async"]},
            }
        )
    if params:
        op["parameters"] = params
    if body is not None:
        op["requestBody"] = {"required": True, "content": {JSON: {"schema": _ref(body)}}}
    return op


@functools.cache
def _document() -> dict[str, Any]:
    _, defs = models_json_schema(
        [(m, "validation" if m.__name__.endswith(("Create", "Patch")) else "serialization")
         for m in _MODELS],
        ref_template="#/components/schemas/{model}",
    )  # fmt: skip
    for model, kind in (("LivestreamCreate", Kind.LIVESTREAM), ("MeetingCreate", Kind.MEETING)):
        props = defs["$defs"][model]["properties"]
        names = platforms(kind)
        props["platforms"]["items"] = {"type": "string", "enum": names}
        props["primary"] = {
            "anyOf": [{"type": "string", "enum": names}, {"type": "null"}],
            "default": None,
            "description": "Default: the first platform.",
        }
    paths: dict[str, Any] = {}
    for method, path, summary, body, ok, out, errors in OPERATIONS:
        item = paths.setdefault(path, {})
        if "{id}" in path:
            item["parameters"] = [
                {
                    "name": "id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "minLength": 1, "maxLength": 64},
                }
            ]
        item[method.lower()] = _operation(method, summary, body, ok, out, errors)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "golive API",
            "version": "1",
            "description": "Create and control broadcasts and meetings on every platform.",
        },
        "servers": [{"url": "/"}],
        "security": [{"token": []}],
        "paths": paths,
        "components": {
            "schemas": defs["$defs"],
            "securitySchemes": {
                "token": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A personal API token (glv_…): golive token create NAME",
                }
            },
        },
    }


def document() -> dict[str, Any]:
    return _document()
