"""Jitsi links: readable, unguessable, on the configured host; JWTs with the claims checked."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from authlib.jose import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from bot.services.meetings import check_link
from providers.base import Endpoints, MeetingRequest, PlatformConfig
from providers.jitsi import SUFFIX_LENGTH, Jitsi, room_name

hosts = st.sampled_from(
    ["https://meet.jit.si", "https://meet.example.org", "https://jitsi.school.edu"]
)


def provider(base: str = "https://meet.jit.si", **kw) -> Jitsi:
    return Jitsi(PlatformConfig(endpoints=Endpoints(api_url=base), **kw))


@settings(max_examples=200, deadline=None)
@given(titles=st.lists(st.text(max_size=120), min_size=1, max_size=8), base=hosts)
async def test_meeting_link_generation(titles, base):
    """Every link is https on the configured host, a valid room name, and unique."""
    jitsi = provider(base)
    links = [(await jitsi.create_meeting(MeetingRequest(title=t))).join_url for t in titles]
    assert len(set(links)) == len(links)
    for link in links:
        parts = urlsplit(link)
        assert parts.scheme == "https"
        assert parts.hostname == urlsplit(base).hostname
        room = parts.path.lstrip("/")
        assert room and not set(room) & set("?&:\"'%#/")
        assert len(room.rsplit("-", 1)[1]) == SUFFIX_LENGTH
        check_link("jitsi", link, urlsplit(base).hostname)


async def test_subject_and_options_in_the_fragment():
    jitsi = Jitsi(
        PlatformConfig(
            endpoints=Endpoints(api_url="https://meet.jit.si"),
            options={"start_audio_muted": "true", "prejoin": "false"},
        )
    )
    handle = await jitsi.create_meeting(MeetingRequest(title='Board "Q4"'))
    fragment = unquote(urlsplit(handle.join_url).fragment)
    assert 'config.subject="Board \\"Q4\\""' in fragment
    assert "config.startWithAudioMuted=true" in fragment
    assert "config.prejoinConfig.enabled=false" in fragment
    assert handle.host_url is None
    assert room_name("Fête à l'école").startswith("fete-a-l-ecole-")


async def test_self_hosted_tokens_carry_the_claims_prosody_checks():
    jitsi = provider(
        "https://meet.example.org", client_id="golive", client_secret=SecretStr("shared-secret-xyz")
    )
    handle = await jitsi.create_meeting(MeetingRequest(title="Sync"))
    token = handle.join_url.split("?jwt=")[1].split("#")[0]
    claims = jwt.decode(token, "shared-secret-xyz")
    claims.validate()
    assert claims["iss"] == "golive" and claims["aud"] == "jitsi"
    assert claims["sub"] == "meet.example.org" and claims["room"] == handle.remote_id
    assert claims["moderator"] is False
    host = handle.host_url.get_secret_value()
    assert (
        jwt.decode(host.split("?jwt=")[1].split("#")[0], "shared-secret-xyz")["moderator"] is True
    )
    assert "shared-secret-xyz" not in repr(jitsi)
    assert host.split("?jwt=")[1] not in repr(handle)
    personal = await jitsi.invite_link(handle, "Sync", user_id="U2", user_name="Ana")
    assert (
        jwt.decode(personal.split("?jwt=")[1].split("#")[0], "shared-secret-xyz")["context"][
            "user"
        ]["name"]
        == "Ana"
    )


async def test_jaas_tokens_are_rs256_with_the_kid():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    jitsi = Jitsi(
        PlatformConfig(
            endpoints=Endpoints(api_url="https://meet.jit.si"),
            client_id="vpaas-magic-cookie-abc",
            options={"jaas_key_id": "k1", "jaas_private_key": pem},
        )
    )
    handle = await jitsi.create_meeting(MeetingRequest(title="Town hall"))
    assert handle.join_url.startswith("https://8x8.vc/vpaas-magic-cookie-abc/town-hall-")
    token = handle.host_url.get_secret_value().split("?jwt=")[1].split("#")[0]
    claims = jwt.decode(token, public)
    assert claims.header["kid"] == "vpaas-magic-cookie-abc/k1"
    assert claims["aud"] == "jitsi" and claims["iss"] == "chat"
    assert claims["context"]["user"]["moderator"] == "true"
