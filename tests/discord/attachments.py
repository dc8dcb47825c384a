"""Messages with files, as Discord takes them: ``multipart/form-data`` for the fake.

From discord/discord-api-docs developers/reference.mdx "Uploading Files": a message with files
replaces its JSON body by ``multipart/form-data``; the JSON goes in the ``payload_json`` part,
each file in a part named ``files[n]`` that must carry a ``filename`` in its
``Content-Disposition``, and ``n`` is the placeholder id the ``attachments`` array of
``payload_json`` refers to. The upload limit applies to each file: 20 MiB by default (more only
for Nitro users and boosted servers, which a bot's channel post cannot count on); a larger
file is refused with HTTP 413, code 40005 "Request entity too large" (topics/opcodes-and-
status-codes.mdx). resources/message.mdx: at most 10 attachments per message, and the message
object lists each attachment with id, filename, size, url, proxy_url and content_type.
"""

from __future__ import annotations

import json
import mimetypes
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import BodyPartReader, web

from tests.discord.rules import FormErrors, error

MAX_FILE = 20 * 1024 * 1024
MAX_FILES = 10
_PART = re.compile(r"^files\[(\d+)\]$")


@dataclass(frozen=True)
class Upload:
    index: int
    filename: str
    data: bytes
    content_type: str


async def read(request: web.Request) -> tuple[dict[str, Any], list[Upload]] | web.Response:
    """The message body and its files, or Discord's refusal."""
    if not request.content_type.startswith("multipart/"):
        return await request.json(), []
    reader = await request.multipart()
    body: dict[str, Any] = {}
    uploads: list[Upload] = []
    problems = FormErrors()
    while (part := await reader.next()) is not None:
        assert isinstance(part, BodyPartReader)
        name = part.name or ""
        data = await part.read(decode=False)
        if name == "payload_json":
            body = json.loads(data)
            continue
        found = _PART.match(name)
        if found is None:
            problems.add([name or "_"], "BASE_TYPE_INVALID", "Unknown form field")
            continue
        if not part.filename:
            problems.add([name], "BASE_TYPE_REQUIRED", "A file needs a filename")
            continue
        if len(data) > MAX_FILE:
            return error(413, 40005, "Request entity too large")
        kind = part.headers.get("Content-Type") or "application/octet-stream"
        uploads.append(Upload(int(found.group(1)), part.filename, bytes(data), kind))
    if len(uploads) > MAX_FILES:
        problems.add(["files"], "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_FILES} or fewer in length.")
    listed = body.get("attachments") or []
    indexes = {u.index for u in uploads}
    for i, item in enumerate(listed):
        if int(item.get("id", -1)) not in indexes:
            problems.add(["attachments", i, "id"], "ATTACHMENT_NOT_FOUND", "Unknown attachment")
    if uploads and {int(item.get("id", -1)) for item in listed} != indexes:
        problems.add(["attachments"], "BASE_TYPE_REQUIRED", "Every file needs its attachment")
    if (bad := problems.response()) is not None:
        return bad
    return body, uploads


def attachment_objects(
    uploads: list[Upload], body: dict[str, Any], snowflake: Callable[[], int], channel_id: int
) -> list[dict[str, Any]]:
    """The message's ``attachments`` as Discord returns them (the name from payload_json)."""
    names = {int(a["id"]): a.get("filename") for a in body.get("attachments") or []}
    out = []
    for upload in sorted(uploads, key=lambda u: u.index):
        filename = names.get(upload.index) or upload.filename
        attachment_id = snowflake()
        url = f"https://cdn.discordapp.com/attachments/{channel_id}/{attachment_id}/{filename}"
        out.append(
            {
                "id": str(attachment_id),
                "filename": filename,
                "size": len(upload.data),
                "url": url,
                "proxy_url": url.replace("cdn.discordapp.com", "media.discordapp.net"),
                "content_type": mimetypes.guess_type(filename)[0] or upload.content_type,
            }
        )
    return out
