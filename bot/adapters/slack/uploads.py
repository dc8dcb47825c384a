"""Files (the report's charts) into Slack with its current upload flow.

``AsyncWebClient.files_upload_v2`` follows docs.slack.dev/reference/methods/
files.getUploadURLExternal and files.completeUploadExternal: one ``files.getUploadURLExternal``
(filename, length) per file, the bytes POSTed to the ``upload_url`` it returns, then one
``files.completeUploadExternal`` that shares all of them in the channel, as a reply when
``thread_ts`` is given, with the text as the message introducing them. It needs the
``files:write`` bot scope (manifest.yml).
"""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack import blocks

#: Slack's message text limit is far higher, but a report is a few lines: keep posts readable
MAX_COMMENT = 3000


async def share(
    client: AsyncWebClient,
    channel: str,
    text: str,
    files: Sequence[tuple[str, bytes]],
    *,
    thread_ts: str | None = None,
) -> None:
    """Upload ``files`` and share them in ``channel`` (in the thread) with ``text``."""
    await client.files_upload_v2(
        channel=channel,
        thread_ts=thread_ts,
        initial_comment=blocks.cut(text, MAX_COMMENT),
        file_uploads=[
            {"file": data, "filename": name, "title": name.removesuffix(".png")}
            for name, data in files
        ],
    )


def refusal(exc: SlackApiError) -> str:
    """Why Slack refused an upload, as a sentence for the requester."""
    error = str(exc.response.get("error", "")) if exc.response is not None else ""
    if error == "missing_scope":
        return (
            "The chart could not be uploaded: golive's Slack app lacks the files:write scope; "
            "an admin updates the app from manifest.yml and reinstalls it."
        )
    if error in {"not_in_channel", "channel_not_found"}:
        return "The chart could not be uploaded here: invite golive to this channel first."
    return f"The chart could not be uploaded: Slack answered {error or 'with an error'}."
