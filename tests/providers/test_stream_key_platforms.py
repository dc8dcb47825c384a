"""Instagram (Live Producer key) and custom RTMP: argument checks, expiry, what they hand out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from providers import provider_class
from providers.base import (
    AuthStyle,
    BroadcastRequest,
    BroadcastState,
    Capability,
    Credentials,
    Endpoints,
    LivestreamProvider,
    PlatformConfig,
)
from providers.errors import AuthExpired, InvalidRequest, NotConnected
from providers.instagram import RECONNECT, Instagram
from providers.rtmp import CustomRtmp, parse_expiry

IG_URL = "rtmps://live-upload.instagram.com:443/rtmp/"
IG_KEY = "17912345678901234?s_bl=1&s_sw=0&a=AbCdEf"
CONFIG = PlatformConfig(endpoints=Endpoints(api_url=""))
REQUEST = BroadcastRequest(title="Launch")


def test_registry_and_declarations() -> None:
    assert provider_class("instagram") is Instagram
    assert provider_class("rtmp") is CustomRtmp
    for cls in (Instagram, CustomRtmp):
        assert cls.auth_style is AuthStyle.STREAM_KEY
        assert Capability.START_BROADCAST not in cls.capabilities
        assert Capability.STOP_BROADCAST not in cls.capabilities
        assert cls.example_args
        credentials, _ = cls.credentials_from_args(cls.example_args)  # examples must connect
        assert credentials.extra["stream_key"]
    assert Instagram.link_domains == ("instagram.com",)
    assert CustomRtmp.display_name == "Custom RTMP"


# -- Instagram ------------------------------------------------------------------------------------


def test_instagram_full_arguments() -> None:
    credentials, label = Instagram.credentials_from_args(
        [IG_URL, IG_KEY, "expires=2099-01-01T18:00Z", "user=@golive.live"]
    )
    assert label == "@golive.live"
    assert credentials.extra == {
        "ingest_url": IG_URL,
        "stream_key": IG_KEY,
        "username": "golive.live",
        "expires_at": "2099-01-01T18:00:00+00:00",
    }
    assert credentials.expires_at == datetime(2099, 1, 1, 18, 0, tzinfo=UTC)
    assert IG_KEY not in repr(credentials)


def test_instagram_minimal_arguments() -> None:
    credentials, label = Instagram.credentials_from_args([IG_URL, IG_KEY])
    assert label == "Live Producer key"
    assert credentials.expires_at is None
    assert credentials.extra["username"] == ""


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ([IG_URL], "give the stream URL and key"),
        (["rtmp://live-upload.instagram.com:80/rtmp/", IG_KEY], "rtmps://"),
        (["rtmps://live-api-s.facebook.com:443/rtmp/", IG_KEY], "live-upload.instagram.com"),
        (["https://live-upload.instagram.com/rtmp/", IG_KEY], "rtmps://"),
        ([IG_URL, "two words"], "one word"),
        ([IG_URL, IG_KEY, "expires=yesterday"], "expiry must be"),
        ([IG_URL, IG_KEY, "expires=2001-01-01"], "already past"),
        ([IG_URL, IG_KEY, "user=no spaces!"], "username"),
        ([IG_URL, IG_KEY, "colour=red"], "only expires="),
    ],
)
def test_instagram_refuses_bad_arguments(args: list[str], words: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        Instagram.credentials_from_args(args)
    assert words in caught.value.message
    assert caught.value.message.count(".") <= 3  # one sentence, no echo of the input
    assert IG_KEY not in str(caught.value)


async def test_instagram_broadcast_hands_out_the_key_and_says_what_is_manual() -> None:
    credentials, _ = Instagram.credentials_from_args([IG_URL, IG_KEY, "expires=2h", "user=ana"])
    provider = Instagram(CONFIG, credentials)
    assert isinstance(provider, LivestreamProvider)
    handle = await provider.create_broadcast(REQUEST)
    assert handle.state is BroadcastState.READY
    assert handle.ingest_url == IG_URL
    assert handle.stream_key is not None and handle.stream_key.get_secret_value() == IG_KEY
    assert handle.watch_url == "https://www.instagram.com/ana/"
    assert handle.message is not None and "Live Producer" in handle.message
    assert IG_KEY not in repr(handle) and IG_KEY not in repr(provider)
    live = await provider.start_broadcast(handle)
    assert live.state is BroadcastState.LIVE
    assert "golive cannot start" in (live.message or "")
    ended = await provider.stop_broadcast(handle)
    assert ended.state is BroadcastState.ENDED
    assert "golive cannot end" in (ended.message or "")


async def test_instagram_without_username_has_no_watch_link() -> None:
    credentials, _ = Instagram.credentials_from_args([IG_URL, IG_KEY])
    handle = await Instagram(CONFIG, credentials).create_broadcast(REQUEST)
    assert handle.watch_url is None


async def test_instagram_expired_key_asks_for_a_new_one() -> None:
    credentials, _ = Instagram.credentials_from_args([IG_URL, IG_KEY, "expires=1h"])
    past = datetime.now(UTC) - timedelta(minutes=5)
    credentials.expires_at = past
    credentials.extra["expires_at"] = past.isoformat()
    provider = Instagram(CONFIG, Credentials.from_json(credentials.to_json()))
    with pytest.raises(AuthExpired) as caught:
        await provider.create_broadcast(REQUEST)
    assert RECONNECT in caught.value.message
    assert IG_KEY not in str(caught.value)


async def test_instagram_missing_key_is_not_connected() -> None:
    with pytest.raises(NotConnected) as caught:
        await Instagram(CONFIG, Credentials()).create_broadcast(REQUEST)
    assert "/platforms connect instagram URL KEY" in caught.value.message


def test_expiry_durations_and_times() -> None:
    now = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    assert parse_expiry("instagram", "24h", now) == now + timedelta(hours=24)
    assert parse_expiry("instagram", "7d", now) == now + timedelta(days=7)
    assert parse_expiry("instagram", "90m", now) == now + timedelta(minutes=90)
    assert parse_expiry("instagram", "2026-12-04", now) == datetime(2026, 12, 4, tzinfo=UTC)
    berlin = parse_expiry("instagram", "2026-12-03T18:00+01:00", now)
    assert berlin == datetime(2026, 12, 3, 17, 0, tzinfo=UTC)
    with pytest.raises(InvalidRequest, match="already past"):
        parse_expiry("instagram", "2026-12-03T11:59Z", now)


# -- custom RTMP ---------------------------------------------------------------------------------


async def test_rtmp_connect_and_broadcast() -> None:
    credentials, label = CustomRtmp.credentials_from_args(
        ["rtmp://ingest.example.org/live", "secret-key-1", "watch=https://example.org/watch"]
    )
    assert label == "ingest.example.org"
    provider = CustomRtmp(CONFIG, credentials)
    assert provider.link_domains == ("example.org",)
    handle = await provider.create_broadcast(REQUEST)
    assert handle.state is BroadcastState.READY
    assert handle.ingest_url == "rtmp://ingest.example.org/live"
    assert handle.stream_key is not None and handle.stream_key.get_secret_value() == "secret-key-1"
    assert handle.watch_url == "https://example.org/watch"
    assert (await provider.start_broadcast(handle)).state is BroadcastState.LIVE
    assert (await provider.stop_broadcast(handle)).state is BroadcastState.ENDED


async def test_rtmp_without_watch_link() -> None:
    credentials, _ = CustomRtmp.credentials_from_args(["rtmps://x.example:443/app", "k"])
    provider = CustomRtmp(CONFIG, credentials)
    assert provider.link_domains == ()
    assert (await provider.create_broadcast(REQUEST)).watch_url is None


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["rtmp://x.example/app"], "give the ingest URL"),
        (["srt://x.example/app", "k"], "rtmp:// or rtmps://"),
        (["rtmp://user:pw@x.example/app", "k"], "plain"),
        (["rtmp://x.example/app", "k", "watch=http://example.org"], "watch URL must be"),
        (["rtmp://x.example/app", "k", "expires=1h"], "only watch="),
    ],
)
def test_rtmp_refuses_bad_arguments(args: list[str], words: str) -> None:
    with pytest.raises(InvalidRequest, match=words):
        CustomRtmp.credentials_from_args(args)


# -- properties ----------------------------------------------------------------------------------

_SCHEME = st.sampled_from(["http", "https", "srt", "rtsp", "ftp", "rtmpx", "", "file", "ws"])
_KEY = st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=8, max_size=40)


@settings(max_examples=150, deadline=None)
@given(scheme=_SCHEME, host=st.from_regex(r"[a-z]{1,12}\.[a-z]{2,5}", fullmatch=True), key=_KEY)
def test_no_non_rtmp_url_is_ever_accepted(scheme: str, host: str, key: str) -> None:
    url = f"{scheme}://{host}/rtmp/{key}" if scheme else f"{host}/rtmp/{key}"
    for cls in (Instagram, CustomRtmp):
        with pytest.raises(InvalidRequest) as caught:
            cls.credentials_from_args([url, key])
        assert key not in str(caught.value)
        assert key not in repr(caught.value)


@settings(max_examples=150, deadline=None)
@given(args=st.lists(st.text(max_size=30), max_size=5), key=_KEY)
def test_errors_never_repeat_the_key(args: list[str], key: str) -> None:
    """Whatever is typed around it, a refused connection never shows the key."""
    for cls in (Instagram, CustomRtmp):
        for typed in ([*args[:1], key, *args[1:]], [key, *args], [IG_URL, key, *args]):
            try:
                credentials, label = cls.credentials_from_args(typed)
            except InvalidRequest as exc:
                assert key not in str(exc)
                assert key not in repr(exc)
            else:
                assert credentials.extra["ingest_url"].startswith(("rtmp://", "rtmps://"))
                assert key not in label
