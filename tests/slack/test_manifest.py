"""manifest.yml is valid for Slack, and every slash command in it has a listener."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from bot.adapters.slack import manifest
from bot.adapters.slack.app import COMMANDS
from tests.slack.conftest import Harness

SCHEMA = Path("/work/shared/contracts/slack-manifest.schema.1.0.0.json")


def validate(document: dict) -> None:
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft7Validator(schema).validate(document)


def test_manifest_matches_slacks_schema_in_both_modes(tmp_path) -> None:
    from tests.conftest import make_settings

    validate(manifest.load())
    base = make_settings(tmp_path, "sqlite+aiosqlite://")
    http = manifest.build(base.model_copy(update={"public_url": "https://a.b"}))
    validate(http)
    assert http["settings"]["interactivity"]["request_url"] == "https://a.b/slack/events"
    socket = manifest.build(base.model_copy(update={"slack_app_token": "xapp-1"}))
    validate(socket)
    assert socket["settings"]["socket_mode_enabled"] is True
    assert all("url" not in c for c in socket["features"]["slash_commands"])


def test_unknown_keys_fail() -> None:
    document = manifest.load()
    document["settings"]["surprise"] = True
    try:
        validate(document)
    except jsonschema.ValidationError:
        return
    raise AssertionError("an unknown key was accepted")


async def test_smallest_scopes_and_a_listener_per_command(slack: Harness) -> None:
    document = manifest.load()
    commands = {c["command"] for c in document["features"]["slash_commands"]}
    assert commands == set(COMMANDS)
    for command in commands:  # Bolt answers 404 to a command nobody listens to
        assert (await slack.command(command, "help")).status == 200
    assert (await slack.command("/unknown", "help")).status == 404
    await slack.settle()
    assert document["oauth_config"]["scopes"]["bot"] == [
        "commands",  # slash commands
        "chat:write",  # announcements, progress, ephemeral replies
        "chat:write.public",  # announce in channels golive was not invited to
        "im:write",  # connection notices by direct message (conversations.open)
        "users:read",  # workspace admins/owners and each person's time zone
        "usergroups:read",  # SLACK_ADMIN_GROUP and SLACK_MODERATOR_GROUP
        "files:write",  # the report's charts (files.getUploadURLExternal + completeUpload…)
    ]


def test_golive_manifest_prints_the_public_url(tmp_path) -> None:
    import os
    import subprocess
    import sys

    import yaml

    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOLIVE_", "SLACK_"))}
    env.update(GOLIVE_PUBLIC_URL="https://live.example.org", GOLIVE_DATA_DIR=str(tmp_path))
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])  # this checkout's golive
    out = subprocess.run(
        [sys.executable, "-m", "bot", "manifest"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        check=True,
    ).stdout
    document = yaml.safe_load(out)
    validate(document)
    assert document["settings"]["event_subscriptions"]["request_url"] == (
        "https://live.example.org/slack/events"
    )
