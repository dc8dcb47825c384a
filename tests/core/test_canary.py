"""Secrets never leak: plant them, run real flows, scan logs, replies, reprs and plain columns."""

from __future__ import annotations

import json
import logging

from pydantic import SecretStr
from sqlalchemy import inspect, select

from bot import handlers
from bot.adapters.console.shell import render
from bot.handlers import Requester
from bot.services.context import Services
from providers.base import Credentials
from storage.models import ENCRYPTED_COLUMNS, Base, Connection
from tests.conftest import FastRetry, database_url, make_settings

CANARY_SECRET = "canary-jitsi-secret-7f3e9a1c5b2d4e6f"


async def test_no_secret_in_logs_replies_reprs_or_plain_columns(tmp_path, backend, caplog):
    caplog.set_level(logging.DEBUG)
    settings = make_settings(
        tmp_path,
        await database_url(backend, tmp_path),
        jitsi_url="https://meet.example.org",
        jitsi_app_id="golive-test",
        jitsi_app_secret=SecretStr(CANARY_SECRET),
    )
    services = await Services.start(settings, sandbox=True)
    services.connections.retry_policy = FastRetry()
    who = Requester(workspace="w", user_id="U1")
    public: list[str] = []
    private: list[str] = []
    try:
        for command, text in [
            ("golive", '"Canary" on youtube,facebook,twitch,restream,instagram'),
            ("golive", "start"),
            ("golive", "status"),
            ("golive", "stop"),
            ("meet", '"Canary sync" on zoom,teams,jitsi'),
            ("platforms", ""),
        ]:
            reply = await handlers.run(services, who, command, text)
            assert reply.ok, reply.private
            public.extend(render(handlers.Reply(posts=reply.posts)).splitlines())
            private.extend(reply.private)
        # The secrets golive now holds, read back the way golive reads them.
        provider = await services.connections.provider("w", "youtube", actor="t", operation="t")
        creds: Credentials = provider.http.token.credentials
        plan = await services.livestreams.ingest("w", None, "t")
        meeting = (await services.meetings.list("w"))[0]
        host_links = await services.meetings.host_links("w", meeting.id, "U1")
        secrets = [CANARY_SECRET, *(key for _, _, key in plan if key)]
        async with services.db.transaction() as session:
            for row in (await session.execute(select(Connection))).scalars():
                stored = Credentials.from_json(
                    json.loads(
                        services.vault.decrypt(
                            session, row.credentials_enc, what="t", operation="t", actor="t"
                        )
                    )
                )
                secrets += [
                    t.get_secret_value() for t in (stored.access_token, stored.refresh_token) if t
                ]
        zoom_app = services.connections._app_tokens["zoom"].credentials.access_token
        secrets.append(zoom_app.get_secret_value())
        # The host's start links are secrets too, but their owner is told them privately.
        host_tokens = [
            url.split("?jwt=")[1].split("#")[0] if "?jwt=" in url else url.split("zak=")[1]
            for _, url in host_links
        ]
        assert len(secrets) >= 12 and len(host_tokens) == 2

        plain: list[str] = []
        async with services.db.sessions() as session:
            for mapper in Base.registry.mappers:
                model = mapper.class_
                encrypted = {col for m, col in ENCRYPTED_COLUMNS if m is model}
                for row in (await session.execute(select(model))).scalars():
                    plain.append(repr(row))
                    for column in inspect(model).columns:
                        if column.key not in encrypted:
                            plain.append(json.dumps(getattr(row, column.key), default=str))
        reprs = [repr(services), repr(provider), repr(creds), repr(provider.http), repr(settings)]
        haystacks = {
            "logs": caplog.text,
            "channel posts": "\n".join(public),
            "private replies": "\n".join(private),
            "plain columns": "\n".join(plain),
            "reprs": "\n".join(reprs),
        }
        for where, text in haystacks.items():
            for secret in secrets + (host_tokens if where != "private replies" else []):
                assert secret not in text, f"a secret appeared in {where}"
        # Masked keys only: the last four characters, never the whole key.
        assert any("key: ••••••••" in line for line in private)
    finally:
        await services.close()
