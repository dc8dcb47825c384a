"""The meeting service: links checked, primary first, personal invitations."""

from __future__ import annotations

from authlib.jose import jwt
from pydantic import SecretStr

from bot import handlers
from bot.handlers import Requester
from bot.services.context import Services
from tests.conftest import database_url, make_settings


async def test_personal_invitations_carry_their_own_token(tmp_path, backend):
    settings = make_settings(
        tmp_path,
        await database_url(backend, tmp_path),
        jitsi_url="https://meet.example.org",
        jitsi_app_id="golive",
        jitsi_app_secret=SecretStr("jitsi-secret"),
    )
    services = await Services.start(settings)
    try:
        reply = await handlers.run(
            services, Requester("w", "U1"), "meet", '"Sync" on jitsi with @ana <@U2|ben>'
        )
        assert reply.ok, reply.private
        assert [person for person, _ in reply.direct] == ["@ana", "<@U2|ben>"]
        names = []
        for _, text in reply.direct:
            token = text.split("?jwt=")[1].split("#")[0]
            claims = jwt.decode(token, "jitsi-secret")
            assert claims["moderator"] is False
            names.append(claims["context"]["user"]["name"])
        assert names == ["ana", "ben"]
        assert "invitations sent privately to @ana, <@U2|ben>" in reply.private
    finally:
        await services.close()


def test_links_outside_the_platform_are_refused():
    import pytest

    from bot.services.meetings import check_link
    from providers.errors import InvalidRequest

    assert check_link("zoom", "https://us05web.zoom.us/j/1", ("zoom.us",))
    for bad in ["http://zoom.us/j/1", "https://zoom.us.evil.example/j/1", "https://evilzoom.us/j"]:
        with pytest.raises(InvalidRequest):
            check_link("zoom", bad, ("zoom.us",))
