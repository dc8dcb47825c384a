"""Signed requests as Slack sends them (docs.slack.dev, "Verifying requests from Slack").

``v0=`` + hex HMAC-SHA256 of ``v0:{timestamp}:{raw body}`` under the signing secret, in
``X-Slack-Signature`` with ``X-Slack-Request-Timestamp``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import urlencode

SECRET = "test-signing-secret"


def headers(body: str, *, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": "application/x-www-form-urlencoded",
    }


def command_body(command: str, text: str, *, user: str, response_url: str, **extra: str) -> str:
    fields = {
        "token": "legacy",
        "team_id": "T1",
        "team_domain": "t1",
        "channel_id": "C1",
        "channel_name": "general",
        "user_id": user,
        "user_name": user.lower(),
        "command": command,
        "text": text,
        "api_app_id": "A1",
        "response_url": response_url,
        "trigger_id": "13345224609.738474920.8088930838d88f008e0",
        **extra,
    }
    return urlencode(fields)


def payload_body(payload: dict[str, Any]) -> str:
    return urlencode({"payload": json.dumps(payload)})
