"""Facebook comment moderation and Page blocks in the sandbox (used by the Graph emulator).

Facebook, modelled on:
- https://developers.facebook.com/docs/graph-api/reference/comment ("Deleting": ``DELETE
  /{comment-id}`` with a Page token of a Page the comment is on, ``pages_manage_engagement``,
  answering ``{"success": true}``; "Updating": ``POST /{comment-id}`` with ``is_hidden``);
- https://developers.facebook.com/docs/graph-api/reference/page/blocked (``POST`` and
  ``DELETE /{page-id}/blocked`` with a Page token; ``user``, ``uid``, ``asid`` or ``psid``
  lists of ids, as facebook-business 26.0.3 ``Page.create_blocked`` declares them; the create
  answers a map of id to ``true``, the delete ``{"success": true}``);
- https://developers.facebook.com/docs/graph-api/guides/error-handling (the error envelope:
  code 100 for a missing or bad parameter or object, 200 for a missing permission).
The Page's ``MODERATE`` task is required for blocking too (the page is silent on the
permission; a Page token alone is what it names).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from providers.sandbox.facebook import GraphError

if TYPE_CHECKING:
    from providers.sandbox.chat import FacebookComments


class FacebookModeration:
    """Comment delete and hide, and Page blocks, of one Facebook emulator."""

    #: the permission comment moderation needs (the comment reference, "Deleting")
    PERMISSION = "pages_manage_engagement"

    def __init__(self, comments: FacebookComments) -> None:
        self.comments = comments
        #: page id -> blocked user ids
        self.blocked: dict[str, set[str]] = {}
        self.deleted: set[str] = set()

    def __repr__(self) -> str:
        return f"FacebookModeration(deleted={len(self.deleted)})"

    def is_blocked(self, page_id: str, user_id: str) -> bool:
        return user_id in self.blocked.get(page_id, set())

    def find(self, comment_id: str) -> tuple[str, dict[str, Any]] | None:
        for video_id, items in self.comments.comments.items():
            for comment in items:
                if comment["id"] == comment_id and comment_id not in self.deleted:
                    return video_id, comment
        return None

    def _check_page_token(self, page_id: str | None, owner: str, scopes: Iterable[str]) -> None:
        if page_id != owner:
            raise GraphError(
                "(#200) The Page access token of the Page the comment is on is required", 200
            )
        if self.PERMISSION not in set(scopes):
            raise GraphError(
                f"(#200) Requires {self.PERMISSION} permission to manage the object", 200
            )

    def comment_node(
        self,
        method: str,
        comment_id: str,
        page_id: str | None,
        scopes: Iterable[str],
        params: dict[str, str],
    ) -> dict[str, Any]:
        found = self.find(comment_id)
        assert found is not None  # the route checked
        video_id, comment = found
        owner = self.comments.emulator.videos[video_id].page_id
        self._check_page_token(page_id, owner, scopes)
        if method == "DELETE":
            self.comments.emulator.requests["comment.delete"] += 1
            self.deleted.add(comment_id)
            return {"success": True}
        if method == "POST":
            self.comments.emulator.requests["comment.update"] += 1
            unknown = sorted(set(params) - {"is_hidden", "message", "access_token"})
            if unknown:
                raise GraphError(f"(#100) Param {unknown[0]} is not a valid parameter", 100)
            if "is_hidden" in params:
                if params["is_hidden"] not in ("true", "false", "1", "0"):
                    raise GraphError("(#100) Param is_hidden must be a boolean", 100)
                comment["is_hidden"] = params["is_hidden"] in ("true", "1")
            return {"success": True}
        raise GraphError(f"(#100) Unsupported method {method} on a comment", 100)

    def blocked_edge(
        self, method: str, page: str, page_id: str | None, tasks: Iterable[str], params: dict
    ) -> dict[str, Any]:
        if page_id != page:
            raise GraphError("(#210) A page access token is required for this edge", 210)
        if "MODERATE" not in set(tasks):
            raise GraphError("(#200) The user must be able to perform the MODERATE task", 200)
        unknown = sorted(set(params) - {"user", "uid", "asid", "psid", "access_token"})
        if unknown:
            raise GraphError(f"(#100) Param {unknown[0]} is not a valid parameter", 100)
        ids = [i for name in ("user", "uid", "asid", "psid") for i in _id_list(params.get(name))]
        if not ids:
            raise GraphError("(#100) One of user, uid, asid or psid is required", 100)
        blocked = self.blocked.setdefault(page, set())
        if method == "POST":
            self.comments.emulator.requests["page.block"] += 1
            blocked.update(ids)
            return {i: True for i in ids}
        if method == "DELETE":
            self.comments.emulator.requests["page.unblock"] += 1
            blocked.difference_update(ids)
            return {"success": True}
        raise GraphError(f"(#100) Unsupported method {method} on the blocked edge", 100)


def _id_list(raw: str | None) -> list[str]:
    """Graph takes a list as a JSON array or as comma-separated ids."""
    if not raw:
        return []
    text = raw.strip()
    if text.startswith("["):
        try:
            items = json.loads(text)
        except ValueError:
            raise GraphError("(#100) The list of ids is not valid JSON", 100) from None
    else:
        items = text.split(",")
    ids = [str(i).strip() for i in items if str(i).strip()]
    if not all(i.isdigit() for i in ids):
        raise GraphError("(#100) Param user must be a list of ids", 100)
    return ids
