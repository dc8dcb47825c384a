"""The Slack app: a slack-bolt ``AsyncApp`` served on golive's aiohttp app or over Socket Mode.

Every listener acknowledges first and does the platform work afterwards, in a task of its own,
so Slack always gets its answer within its 3 seconds, whatever the platforms do. Signatures
and timestamps (older than 5 minutes) are checked by Bolt's request verification before any
listener runs; a bad request gets 401 and changes nothing.

Slash commands are turned into text for :func:`bot.handlers.run`; what comes back is rendered
here: announcements through :class:`SlackPublisher`, private lines ephemerally.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Coroutine
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot import commands as c
from bot import handlers
from bot.adapters.slack import blocks, chatlines, home, modals, uploads
from bot.adapters.slack.notify import SlackNotifier
from bot.adapters.slack.progress import Coalescer, ProgressMessage, current
from bot.adapters.slack.publisher import SlackPublisher
from bot.adapters.slack.reminders import ACTION_ID as REMIND
from bot.adapters.slack.reminders import SlackReminders, toggle
from bot.adapters.slack.roles import Roles
from bot.chat.moderation import ModerationService, actions_for
from bot.handlers import Reply, Requester
from bot.messages import explain
from bot.services.context import Services
from bot.services.errors import ServiceError
from bot.views import Announcement
from providers import platforms, provider_class
from providers.base import AuthStyle
from providers.errors import PlatformError

log = logging.getLogger(__name__)

COMMANDS = ("/golive", "/meet", "/platforms")
_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")


def web_client(api_url: str, token: str | None) -> AsyncWebClient:
    """Slack's Web API at ``SLACK_API_URL``; 429s are retried after their Retry-After."""
    return AsyncWebClient(
        token=token,
        base_url=api_url.rstrip("/") + "/",
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(),
            AsyncRateLimitErrorRetryHandler(max_retry_count=3),
        ],
    )


def _admin_only(cmd: c.Command) -> str | None:
    """What a member may not do, in words for the refusal; None when anyone may."""
    match cmd:
        case c.OpenForm("golive") | c.CreateBroadcast():
            return "create broadcasts"
        case c.BroadcastAction(action) if action in {"start", "stop"}:
            return f"{action} broadcasts"
        case c.Platforms(action) if action != "list":
            return "change platform connections"
        case c.NotifyAction():
            return "choose connection notices"
    return None


class SlackAdapter:
    def __init__(self, services: Services) -> None:
        settings = services.settings
        self.services = services
        token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
        secret = settings.slack_signing_secret
        self.client = web_client(settings.slack_api_url, token)
        #: multi-workspace: installed through OAuth, each team id is its own golive workspace
        self.multi = token is None and bool(settings.slack_client_id)
        self._clients: dict[str, AsyncWebClient] = {}
        extra: dict[str, Any] = {}
        if self.multi:
            extra["oauth_settings"] = self._oauth_settings()
        self.app = AsyncApp(
            client=self.client,
            signing_secret=secret.get_secret_value() if secret else "",
            logger=logging.getLogger("golive.slack.bolt"),
            name="golive",
            # Every listener returns right after its ack (the work runs in a task of its own),
            # so Bolt may answer Slack as soon as the listener returns instead of polling for
            # the ack every 10 ms.
            process_before_response=True,
            **extra,
        )
        self.roles = Roles(settings)
        self.coalescer = Coalescer()
        self.publisher = SlackPublisher(self.client_for, self.coalescer)
        services.announcements.register(self.publisher)
        services.optins.register(SlackReminders(self.client_for))
        services.health.add_notifier(SlackNotifier(self))
        #: relayed chat lines go through this; moderation (set by whoever runs the relay)
        #: carries out the overflow menu's actions
        self.relay_target = chatlines.SlackRelayTarget(self.client_for, actions_for)
        services.chat.register(self.relay_target)
        self.moderation: ModerationService | None = services.chat.moderation
        self.tasks: set[asyncio.Task[Any]] = set()
        self._register()

    # -- plumbing ----------------------------------------------------------------------------

    def _oauth_settings(self):
        from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings

        from bot.adapters.slack import manifest
        from bot.adapters.slack.installations import DatabaseInstallationStore, MemoryStateStore

        settings = self.services.settings
        secret = settings.slack_client_secret
        self.installations = DatabaseInstallationStore(
            self.services, on_save=lambda team: self._clients.pop(team, None)
        )
        return AsyncOAuthSettings(
            client_id=settings.slack_client_id,
            client_secret=secret.get_secret_value() if secret else "",
            scopes=manifest.load()["oauth_config"]["scopes"]["bot"],
            installation_store=self.installations,
            installation_store_bot_only=True,
            state_store=MemoryStateStore(),
            install_path="/slack/install",
            redirect_uri_path="/slack/oauth_redirect",
            redirect_uri=f"{settings.public_url}/slack/oauth_redirect",
        )

    def workspace_for(self, team_id: str | None) -> str:
        """Multi-workspace: the team id; single-workspace: GOLIVE_WORKSPACE.

        See docs/decisions/0002-slack-workspaces.md."""
        if self.multi:
            if not team_id:
                raise ValueError("a Slack request without a team id")
            return team_id
        return self.services.settings.workspace

    async def client_for(self, workspace: str) -> AsyncWebClient:
        if not self.multi:
            return self.client
        client = self._clients.get(workspace)
        if client is None:
            bot = await self.installations.async_find_bot(enterprise_id=None, team_id=workspace)
            if bot is None:
                raise LookupError(f"golive is not installed in Slack workspace {workspace}")
            client = web_client(self.services.settings.slack_api_url, bot.bot_token)
            self._clients[workspace] = client
        return client

    def spawn(self, work: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(work)
        self.tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("Slack work failed", exc_info=task.exception())

    async def drain(self) -> None:
        """Wait for the work started after acks (tests and shutdown)."""
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)

    async def close(self) -> None:
        if self.services.chat.relay.targets.get("slack") is self.relay_target:
            self.services.chat.unregister("slack")
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*list(self.tasks), return_exceptions=True)

    async def handle(self, request: web.Request) -> web.Response:
        response = await self.app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(response)

    async def oauth(self, request: web.Request) -> web.Response:
        """Bolt's install page and OAuth callback (multi-workspace mode only)."""
        flow = self.app.oauth_flow
        if flow is None:
            raise web.HTTPNotFound(text="this golive is installed in a single Slack workspace")
        bolt_request = await to_bolt_request(request)
        if request.path == flow.install_path:
            response = await flow.handle_installation(bolt_request)
        else:
            response = await flow.handle_callback(bolt_request)
        return await to_aiohttp_response(response)

    def mount(self, app: web.Application) -> None:
        app.router.add_post("/slack/events", self.handle)
        app.router.add_get("/slack/install", self.oauth)
        app.router.add_get("/slack/oauth_redirect", self.oauth)

    async def requester(self, client: AsyncWebClient, team: str, user: str, channel) -> Requester:
        person = await self.roles.person(client, team, user)
        return Requester(
            workspace=self.workspace_for(team),
            user_id=user,
            timezone=person.timezone,
            is_admin=person.is_admin,
            chat="slack",
            channel=channel,
        )

    # -- listeners ---------------------------------------------------------------------------

    def _register(self) -> None:
        app = self.app
        for name in COMMANDS:
            app.command(name)(self.on_command)
        app.action(re.compile(r"^golive_link:"))(self.on_link)
        for action in ("golive_start", "golive_stop", "golive_status"):
            app.action(action)(self.on_control)
        app.action("golive_platform_connect")(self.on_platform)
        app.action("golive_platform_disconnect")(self.on_platform)
        app.action(chatlines.ACTION_ID)(self.on_chat_line)
        app.action(REMIND)(self.on_remind)
        app.view(modals.FORM)(self.on_form)
        app.view(modals.STREAM_KEY)(self.on_stream_key)
        app.event("app_home_opened")(self.on_home)

    async def on_command(self, ack, body: dict[str, Any], client: AsyncWebClient, respond) -> None:
        await ack()
        name = body["command"].lstrip("/")
        text = (body.get("text") or "").strip()
        team, user, channel = body.get("team_id", ""), body["user_id"], body.get("channel_id")
        if name in {"golive", "meet"} and not text:
            trigger = body["trigger_id"]  # valid for 3 s: the form opens right after the ack
            self.spawn(self.open_form(client, team, user, channel, name, trigger, respond))
            return
        self.spawn(self.run_command(client, team, user, channel, name, text, respond))

    async def on_link(self, ack) -> None:
        await ack()  # URL buttons send an action too; Slack shows a warning unless it is acked

    async def open_form(self, client, team, user, channel, kind, trigger_id, respond) -> None:
        who = await self.requester(client, team, user, channel)
        if kind == "golive" and not who.is_admin:
            await respond(text=self.roles.refusal("create broadcasts"), response_type="ephemeral")
            return
        connections = self.services.connections
        ready, unconnected = [], []
        for platform in platforms(modals.form_kind(kind)):
            style = connections.style(platform)
            if self.services.sandbox is not None or await connections.is_connected(
                who.workspace, platform
            ):
                ready.append(platform)
            elif style is AuthStyle.CLIENT_CREDENTIALS:
                unconnected.append((platform, f"set GOLIVE_{platform.upper()}_CLIENT_ID/_SECRET"))
            else:
                unconnected.append((platform, f"/platforms connect {platform}"))
        view = modals.form(kind, ready, unconnected, channel=channel, timezone=who.timezone)
        await client.views_open(trigger_id=trigger_id, view=view)

    async def run_command(self, client, team, user, channel, name, text, respond) -> None:
        who = await self.requester(client, team, user, channel)
        count = self.services.metrics.count_command
        try:
            parsed = handlers.parse(self.services, who, name, text)
        except c.CommandError as exc:
            count(name, False, "slack")
            await respond(text=exc.message, response_type="ephemeral")
            return
        refused = _admin_only(parsed)
        if refused and not who.is_admin:
            count(name, False, "slack")
            await respond(text=self.roles.refusal(refused), response_type="ephemeral")
            return
        if isinstance(parsed, c.Platforms) and parsed.action == "list":
            rows = await home.platform_blocks(self.services, who.workspace, who.is_admin)
            count(name, True, "slack")
            await respond(text="Platforms", blocks=rows[:50], response_type="ephemeral")
            return
        reply, message = await self.execute(client, who, parsed)
        count(name, reply.ok, "slack")
        await self.deliver(client, who, reply, respond)
        await self.offer_controls(who, reply, message, respond)

    async def execute(
        self, client: AsyncWebClient, who: Requester, cmd: c.Command
    ) -> tuple[Reply, ProgressMessage | None]:
        """Run a command with one progress message for creations, taken over by the post."""
        message = None
        if isinstance(cmd, c.CreateBroadcast | c.CreateMeeting) and who.channel:
            kind = "broadcast" if isinstance(cmd, c.CreateBroadcast) else "meeting"
            message = ProgressMessage(client, self.coalescer, who.channel, cmd.title, kind)
        token = current.set({who.channel: message} if message and who.channel else {})
        try:
            reply = await handlers.execute(
                self.services, who, cmd, message.report if message else None
            )
        except c.CommandError as exc:
            reply = Reply.error(exc.message)
        except ServiceError as exc:
            reply = Reply.error(str(exc))
        except PlatformError as exc:
            reply = Reply.error(explain(exc))
        finally:
            current.reset(token)
        if message and message.ts and not message.taken:
            await self.coalescer.flush(
                f"{message.channel}/{message.ts}",
                lambda: client.chat_update(
                    channel=message.channel,
                    ts=message.ts,
                    text=f"{message.title}: not created",
                    blocks=blocks.progress(message.title, message.kind, message.states),
                ),
            )
        return reply, message

    async def deliver(self, client: AsyncWebClient, who: Requester, reply: Reply, respond) -> None:
        """Posts and private lines to the requester only; invitations as direct messages."""

        async def private(text: str, rows: list[dict[str, Any]] | None = None) -> None:
            if respond is not None:
                await respond(text=text, blocks=rows, response_type="ephemeral")
            elif who.channel:
                await client.chat_postEphemeral(
                    channel=who.channel, user=who.user_id, text=text, blocks=rows
                )
            else:
                await client.chat_postMessage(channel=who.user_id, text=text, blocks=rows)

        shared = await self.share_files(client, who, reply)
        for post in reply.posts:
            if isinstance(post, Announcement):
                await private(blocks.summary(post), blocks.announcement(post))
            elif not shared:
                await private(blocks.cut(post, 3000))
        if reply.private:
            await private(blocks.cut("\n".join(reply.private), 3000))
        for person, text in reply.direct:
            found = _USER.fullmatch(person)
            if found:
                await client.chat_postMessage(channel=found.group(1), text=text)
            else:
                log.info("invitation for %s not sent: not a Slack mention", person[:40])

    async def share_files(self, client: AsyncWebClient, who: Requester, reply: Reply) -> bool:
        """A reply's files (a report's charts) go up in the channel, its text posts with them;
        False when there are none or Slack refused (the reason joins the private lines)."""
        if not reply.files or not who.channel:
            return False
        text = "\n\n".join(p for p in reply.posts if isinstance(p, str))
        try:
            await uploads.share(client, who.channel, text, reply.files)
        except SlackApiError as exc:
            log.info("files for %s not uploaded: %s", who.channel, exc.response.get("error"))
            reply.private.append(uploads.refusal(exc))
            return False
        return True

    async def offer_controls(self, who, reply: Reply, message, respond) -> None:
        post = message.announcement if message else None
        if not (reply.ok and who.is_admin and isinstance(post, Announcement)):
            return
        rows = blocks.admin_controls(post.kind, post.id, post.title)
        if rows and respond is not None:
            await respond(text="Controls", blocks=rows, response_type="ephemeral")

    async def on_control(self, ack, body: dict[str, Any], client: AsyncWebClient, respond) -> None:
        await ack()
        self.spawn(self.control(body, client, respond))

    async def control(self, body, client, respond) -> None:
        action = body["actions"][0]
        verb = action["action_id"].removeprefix("golive_")
        channel = (body.get("container") or {}).get("channel_id")
        team = (body.get("team") or {}).get("id", "")
        who = await self.requester(client, team, body["user"]["id"], channel)
        send = respond if body.get("response_url") else None
        if verb in {"start", "stop"} and not who.is_admin:
            await self.deliver(
                client, who, Reply.error(self.roles.refusal(f"{verb} broadcasts")), send
            )
            return
        reply = await handlers.run(
            self.services, who, "golive", f"{verb} {action.get('value', '')}"
        )
        await self.deliver(client, who, reply, send)
        if body.get("view", {}).get("type") == "home":
            await self.publish_home(client, who)

    async def on_remind(self, ack, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        team = (body.get("team") or {}).get("id", "")
        self.spawn(toggle(self.services, self.workspace_for(team), body, client))

    async def on_chat_line(self, ack, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        self.spawn(self.moderate(body, client))

    async def moderate(self, body: dict[str, Any], client: AsyncWebClient) -> None:
        """A relayed line's overflow menu: act, then say the result in the thread."""
        option = (body.get("actions") or [{}])[0].get("selected_option") or {}
        verb, _, line_id = str(option.get("value", "")).partition(":")
        container = body.get("container") or {}
        channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
        message = body.get("message") or {}
        thread = message.get("thread_ts") or container.get("thread_ts") or message.get("ts")
        team = (body.get("team") or {}).get("id", "")
        user = body["user"]["id"]
        person = await self.roles.person(client, team, user)
        if self.moderation is None:
            said = "Chat moderation is not running in this golive."
        else:
            said = await self.moderation.act(
                self.workspace_for(team),
                line_id,
                verb,
                actor=f"slack:{user}",
                actor_name=f"<@{user}>",
                role=person.role,
            )
        if person.role not in {"admin", "moderator"} or self.moderation is None:
            await client.chat_postEphemeral(channel=channel, user=user, text=said)
            return
        await client.chat_postMessage(channel=channel, thread_ts=thread, text=said)

    async def on_platform(self, ack, body, client: AsyncWebClient, respond) -> None:
        await ack()
        self.spawn(self.platform_action(body, client, respond))

    async def platform_action(self, body, client: AsyncWebClient, respond) -> None:
        action = body["actions"][0]
        platform = action.get("value", "")
        team = (body.get("team") or {}).get("id", "")
        channel = (body.get("container") or {}).get("channel_id")
        who = await self.requester(client, team, body["user"]["id"], channel)
        send = respond if body.get("response_url") else None
        if not who.is_admin or platform not in platforms():
            refusal = Reply.error(self.roles.refusal("change platform connections"))
            await self.deliver(client, who, refusal, send)
            return
        verb = "disconnect" if action["action_id"].endswith("disconnect") else "connect"
        if verb == "connect" and self.services.connections.style(platform) is AuthStyle.STREAM_KEY:
            view = modals.stream_key(platform, provider_class(platform).example_args)
            await client.views_open(trigger_id=body["trigger_id"], view=view)
            return
        reply = await handlers.run(self.services, who, "platforms", f"{verb} {platform}")
        await self.deliver(client, who, reply, send)
        if body.get("view", {}).get("type") == "home":
            await self.publish_home(client, who)

    async def on_form(self, ack, body: dict[str, Any], client: AsyncWebClient, view) -> None:
        cmd, errors, meta = modals.read(view)
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        self.spawn(self.submit_form(client, body, cmd, meta))

    async def submit_form(self, client, body, cmd: c.Command, meta: dict[str, Any]) -> None:
        team = (body.get("team") or {}).get("id", "")
        who = await self.requester(client, team, body["user"]["id"], meta.get("channel"))
        who = Requester(**{**who.__dict__, "timezone": meta.get("timezone") or who.timezone})
        refused = _admin_only(cmd)
        if refused and not who.is_admin:
            await self.deliver(client, who, Reply.error(self.roles.refusal(refused)), None)
            return
        reply, message = await self.execute(client, who, cmd)
        post = message.announcement if message else None
        extra = [("slack", ch) for ch in meta.get("channels") or [] if ch != who.channel]
        if reply.ok and isinstance(post, Announcement) and extra:
            await self.services.announcements.publish(who.workspace, post, also=extra)
        await self.deliver(client, who, reply, None)

    async def on_stream_key(self, ack, body, client: AsyncWebClient, view) -> None:
        platform, args = modals.read_stream_key(view)
        team = (body.get("team") or {}).get("id", "")
        who = await self.requester(client, team, body["user"]["id"], None)
        if not who.is_admin:
            await ack(response_action="errors", errors={"arg0": self.roles.refusal("connect")})
            return
        try:
            await self.services.connections.connect_with_args(
                who.workspace, who.user_id, platform, args
            )
        except (PlatformError, ServiceError) as exc:
            sentence = explain(exc) if isinstance(exc, PlatformError) else str(exc)
            await ack(response_action="errors", errors={"arg0": blocks.cut(sentence, 150)})
            return
        await ack()
        self.spawn(self.publish_home(client, who))

    async def on_home(self, event: dict[str, Any], body: dict[str, Any], client) -> None:
        if event.get("tab", "home") != "home":
            return
        self.spawn(self.show_home(client, body.get("team_id", ""), event["user"]))

    async def show_home(self, client: AsyncWebClient, team: str, user: str) -> None:
        who = await self.requester(client, team, user, None)
        await self.publish_home(client, who)

    async def publish_home(self, client: AsyncWebClient, who: Requester) -> None:
        view = await home.home_view(self.services, who.workspace, who.is_admin)
        await client.views_publish(user_id=who.user_id, view=view)
