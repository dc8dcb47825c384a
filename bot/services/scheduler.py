"""The scheduler: jobs kept in golive's own database and run by exactly one process.

APScheduler 3's ``AsyncIOScheduler`` runs the jobs on golive's event loop; its
``SQLAlchemyJobStore`` keeps them in the ``scheduled_jobs`` table, so a restart loses nothing.
That store is synchronous, so it gets a sync engine for the same database (``sqlite`` or
``postgresql+psycopg``).

Every process opens the store *paused*: any of them can add, move or remove jobs (a command
handled anywhere schedules its broadcast), but only the leader resumes and runs them. On
PostgreSQL the leader is the process holding a session-level advisory lock
(``pg_try_advisory_lock``) on a connection of its own; the others try again every
``lock_retry`` seconds and take over when the leader's connection ends (the server releases
the lock when the session dies, however the process died). On SQLite there is one process,
and it leads. The leader also re-reads the store every ``lock_retry`` seconds, so it sees jobs
other processes added.

At a broadcast's start golive waits for the encoder where a platform needs its stream first
(:mod:`bot.services.encoder`). A job due while no process was leading runs when one takes
over, if it is still within the misfire grace time (``GOLIVE_SCHEDULE_GRACE``); it then says
it ran late, in the log and in what it posts. Later than that it is dropped, with a warning
in the log.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from apscheduler.events import EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from bot.services.encoder import failure_sentence, scheduled_start
from bot.services.errors import ServiceError
from bot.services.reminders import late_note, send_reminder, span
from bot.settings import parse_duration
from storage.models import AuditEntry

if TYPE_CHECKING:
    from bot.services.context import Services

log = logging.getLogger(__name__)

JOBS_TABLE = "scheduled_jobs"
#: the advisory lock every golive process on one database competes for ("golive" in ASCII)
LOCK_KEY = 0x676F6C697665
#: whether this session holds the advisory lock: pg_locks keeps a bigint key's high half in
#: classid and its low half in objid (objsubid 1)
HOLDS_LOCK = text(
    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
    " AND pid = pg_backend_pid() AND objsubid = 1"
    " AND ((classid::bigint << 32) | objid::bigint) = :key)"
)
ACTOR = "scheduler"

#: the scheduler of this process, which job functions reach (jobs are stored by reference)
_current: Scheduler | None = None


def sync_url(url: str) -> str:
    """The synchronous twin of golive's async database URL, for APScheduler's job store."""
    parsed = make_url(url)
    drivers = {"sqlite+aiosqlite": "sqlite", "postgresql+asyncpg": "postgresql+psycopg"}
    if parsed.drivername not in drivers:
        raise ValueError(f"no synchronous driver known for {parsed.drivername}")
    return parsed.set(drivername=drivers[parsed.drivername]).render_as_string(hide_password=False)


def current() -> Scheduler | None:
    """The scheduler started in this process, for job functions of other services."""
    return _current


async def run_job(
    action: str, workspace: str, item_id: str, due: str, start: str = "", kind: str = "broadcast"
) -> None:
    """What every stored job calls: looked up by name, so stored jobs survive code changes."""
    if _current is None:
        log.warning("job %s for %s ran with no scheduler running", action, item_id)
        return
    await _current.run(action, workspace, item_id, datetime.fromisoformat(due), start, kind)


class Scheduler:
    def __init__(
        self,
        services: Services,
        *,
        clock: Callable[[], datetime] | None = None,
        lock_retry: float = 5.0,
        late_after: timedelta = timedelta(seconds=60),
    ) -> None:
        self.services = services
        self.clock = clock or (lambda: datetime.now(UTC))
        self.lock_retry = lock_retry
        self.late_after = late_after
        self.leader = False
        self._aps: AsyncIOScheduler | None = None
        self._store_engine: Engine | None = None
        self._lock_engine: AsyncEngine | None = None
        self._lock: AsyncConnection | None = None
        self._task: asyncio.Task[None] | None = None
        #: periodic work only the leader does (viewer samples, connection checks): last runs
        self._routine_runs: dict[str, float] = {}
        self._routine_tasks: set[asyncio.Task[object]] = set()

    def __repr__(self) -> str:
        return f"Scheduler(leader={self.leader}, running={self.running})"

    @property
    def running(self) -> bool:
        """Started in this process (``golive serve``); the console never runs jobs."""
        return self._task is not None

    @property
    def postgres(self) -> bool:
        return make_url(self.services.db.url).drivername.startswith("postgresql")

    # -- lifecycle -------------------------------------------------------------------------

    def _store(self) -> AsyncIOScheduler:
        """The job store, opened paused on first use (needs the running event loop)."""
        if self._aps is None:
            url = sync_url(self.services.db.url)
            options = {"connect_args": {"timeout": 30}} if url.startswith("sqlite") else {}
            self._store_engine = create_engine(url, pool_pre_ping=True, **options)
            store = SQLAlchemyJobStore(engine=self._store_engine, tablename=JOBS_TABLE)
            self._aps = AsyncIOScheduler(
                jobstores={"default": store},
                timezone=UTC,
                job_defaults={
                    "misfire_grace_time": self.services.settings.schedule_grace_seconds,
                    "coalesce": True,
                    "max_instances": 1,
                },
            )
            self._aps.add_listener(self._missed, EVENT_JOB_MISSED)
            self._aps.start(paused=True)
        return self._aps

    async def start(self) -> None:
        """Run jobs in this process whenever it is (or becomes) the leader."""
        global _current
        _current = self
        self._store()
        if self._task is None:
            self._task = asyncio.create_task(self._lead(), name="golive-scheduler")

    async def stop(self) -> None:
        global _current
        for routine in list(self._routine_tasks):
            routine.cancel()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._aps is not None:
            self._aps.shutdown(wait=False)
            self._aps = None
        await self._resign()
        if self._lock_engine is not None:
            await self._lock_engine.dispose()
            self._lock_engine = None
        if self._store_engine is not None:
            self._store_engine.dispose()
            self._store_engine = None
        if _current is self:
            _current = None

    # -- leadership ------------------------------------------------------------------------

    async def _lead(self) -> None:
        while True:
            try:
                if not self.leader and await self._take_lead():
                    self.leader = True
                    log.info("scheduler: this process runs the scheduled jobs")
                    self._store().resume()
                elif self.leader and not await self._still_leading():
                    self.leader = False
                    self._store().pause()
                    log.warning("scheduler: lost the database lock; another process takes over")
                    for routine in list(self._routine_tasks):  # none may go on leading
                        routine.cancel()
                elif self.leader:
                    self._store().wakeup()  # see jobs other processes added or moved
                if self.leader:
                    self._routines()
                elif self.services.chat.running_any():
                    await self.services.chat.reconcile()  # not leading: hand its chat over
            except Exception:  # the loop must outlive a database hiccup
                log.exception("scheduler: leadership check failed")
            await asyncio.sleep(self.lock_retry)

    def _routines(self) -> None:
        """Sample viewers of live broadcasts, check connections and run live chat, each at its
        interval, in the leader only (so several processes do not sample, notify or relay
        twice)."""
        from bot.services.analytics import sample_interval
        from bot.services.events import EXTEND_EVERY

        services = self.services
        due = {
            "viewer samples": (sample_interval(services), services.analytics.sample_live),
            "connection health": (services.health.interval(), services.health.check_all),
            "live chat": (0.0, services.chat.reconcile),  # every check: chat follows the leader
            "event ends": (EXTEND_EVERY.total_seconds(), services.events.extend_live),
        }
        now = time.monotonic()
        for name, (interval, work) in due.items():
            if now - self._routine_runs.get(name, float("-inf")) < interval:
                continue
            if any(t.get_name() == f"golive-{name}" for t in self._routine_tasks):
                continue  # the last run has not finished: never two at once
            self._routine_runs[name] = now
            task = asyncio.create_task(work(), name=f"golive-{name}")
            self._routine_tasks.add(task)
            task.add_done_callback(self._routine_done)

    def _routine_done(self, task: asyncio.Task[object]) -> None:
        self._routine_tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("scheduler: %s failed", task.get_name(), exc_info=task.exception())

    async def _take_lead(self) -> bool:
        if not self.postgres:
            return True
        if self._lock_engine is None:
            # Its own unpooled connection: closing it really ends the session and the lock.
            self._lock_engine = create_async_engine(self.services.db.url, poolclass=NullPool)
        conn = await self._lock_engine.connect()
        try:
            query = text("SELECT pg_try_advisory_lock(:key)")
            result = await conn.execute(query, {"key": LOCK_KEY})
            got = bool(result.scalar())
            await conn.commit()
        except Exception:
            await conn.close()
            raise
        if not got:
            await conn.close()
            return False
        self._lock = conn
        return True

    async def _still_leading(self) -> bool:
        if self._lock is None:
            return not self.postgres
        try:
            # a half-open connection must not keep this process leading beside the next one,
            # and neither may a session the driver silently replaced (its lock went with the
            # old one): ask PostgreSQL whether this very session holds the lock
            async with asyncio.timeout(max(self.lock_retry, 5.0)):
                held = await self._lock.scalar(HOLDS_LOCK, {"key": LOCK_KEY})
                await self._lock.commit()
        except Exception:
            log.exception("scheduler: the lock connection failed")
            await self._resign()
            return False
        if not held:
            log.warning("scheduler: this session no longer holds the lock")
            await self._resign()
            return False
        return True

    async def _resign(self) -> None:
        conn, self._lock = self._lock, None
        self.leader = False
        if conn is None:
            return
        try:
            await conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
            await conn.commit()
        except Exception as exc:  # the session is gone, and the lock with it
            log.info("scheduler: lock connection already closed (%s)", type(exc).__name__)
        finally:
            await conn.close()

    # -- planning --------------------------------------------------------------------------

    def plan_broadcast(self, workspace: str, stream_id: str, start: datetime) -> list[datetime]:
        """(Re)place a broadcast's start and its reminders; returns the reminder times kept.

        Reminders whose time has passed already are skipped."""
        aps = self._store()
        self.unplan("broadcast", stream_id)
        due = start.astimezone(UTC)
        aps.add_job(
            run_job,
            "date",
            run_date=due,
            id=f"broadcast:{stream_id}:start",
            args=["start", workspace, stream_id, due.isoformat()],
            replace_existing=True,
        )
        return self._plan_reminders("broadcast", workspace, stream_id, due)

    def plan_meeting(self, workspace: str, meeting_id: str, start: datetime) -> list[datetime]:
        """(Re)place a meeting's reminders: meetings start when their host opens them, so
        golive only reminds members, at the same offsets as broadcasts."""
        self.unplan("meeting", meeting_id)
        return self._plan_reminders("meeting", workspace, meeting_id, start.astimezone(UTC))

    def _plan_reminders(
        self, kind: str, workspace: str, item_id: str, due: datetime
    ) -> list[datetime]:
        aps = self._store()
        now = self.clock()
        kept = []
        for offset in self.services.settings.reminder_offsets:
            at = due - offset
            if at <= now:
                continue
            args = ["remind", workspace, item_id, at.isoformat(), due.isoformat()]
            aps.add_job(
                run_job,
                "date",
                run_date=at,
                id=f"{kind}:{item_id}:remind:{int(offset.total_seconds())}",
                args=[*args, kind] if kind != "broadcast" else args,
                replace_existing=True,
            )
            kept.append(at)
        return kept

    def plan_job(
        self, job_id: str, func: Callable[..., object], at: datetime, args: list[str]
    ) -> None:
        """Place one date job of another service (recording lookups), replacing one with the
        same id; ``func`` must be a module-level function, as jobs are stored by reference."""
        self._store().add_job(
            func,
            "date",
            run_date=at.astimezone(UTC),
            id=job_id,
            args=args,
            replace_existing=True,
        )

    def unplan(self, kind: str, item_id: str) -> int:
        """Remove every job of one broadcast or meeting; returns how many there were."""
        aps = self._store()
        prefix = f"{kind}:{item_id}:"
        jobs = [job for job in aps.get_jobs() if job.id.startswith(prefix)]
        for job in jobs:
            job.remove()
        return len(jobs)

    def planned(self, kind: str, item_id: str) -> list[tuple[str, datetime]]:
        """(job id, run time) of one item's jobs, soonest first."""
        prefix = f"{kind}:{item_id}:"
        jobs = [j for j in self._store().get_jobs() if j.id.startswith(prefix)]
        return sorted(((j.id, j.next_run_time) for j in jobs), key=lambda pair: pair[1])

    # -- running ---------------------------------------------------------------------------

    async def run(
        self,
        action: str,
        workspace: str,
        item_id: str,
        due: datetime,
        start: str = "",
        kind: str = "broadcast",
    ) -> None:
        late = self.clock() - due
        note = None
        if late > self.late_after:
            note = late_note(due, late)
            log.warning("scheduled %s of %s ran late by %s", action, item_id, late)
        try:
            if action == "start":
                await self._start(workspace, item_id, due, note)
            elif action == "remind":
                await send_reminder(
                    self.services,
                    kind,
                    workspace,
                    item_id,
                    datetime.fromisoformat(start),
                    # on time, the countdown is the offset itself ("starts in 1 h", not "59 min")
                    now=due if note is None else self.clock(),
                    note=note,
                )
            else:
                log.warning("unknown scheduled action %s for %s", action, item_id)
        except ServiceError as exc:  # cancelled or gone meanwhile: nothing to do
            log.info("scheduled %s of %s skipped: %s", action, item_id, exc)

    async def _start(self, workspace: str, stream_id: str, due: datetime, note: str | None) -> None:
        from bot.handlers import broadcast_post

        services = self.services
        planned = (await services.livestreams.get(workspace, stream_id)).scheduled_start
        if planned is None or abs((planned - due).total_seconds()) > 1:
            log.info("scheduled start of %s skipped: it was moved to %s", stream_id, planned)
            return
        _, never = await scheduled_start(services, workspace, ACTOR, stream_id)
        stream = await services.livestreams.get(workspace, stream_id)
        async with services.db.transaction() as session:
            session.add(
                AuditEntry(
                    actor=ACTOR,
                    action="broadcast scheduled start",
                    target=stream_id,
                    operation=note or "on time",
                )
            )
        announcement = await broadcast_post(services, stream, services.settings.timezone)
        extra = [note] if note else []
        if never:
            extra.append(failure_sentence(never, span(self._encoder_wait()), stream_id))
        if extra:
            announcement = replace(announcement, notes=(*announcement.notes, *extra))
        await services.announcements.refresh(workspace, announcement)
        log.info("scheduled start of %s: %s", stream_id, stream.status)

    def _encoder_wait(self) -> timedelta:
        return parse_duration(self.services.settings.encoder_wait)

    def _missed(self, event: JobExecutionEvent) -> None:
        log.warning(
            "scheduled job %s was due at %s, later than the grace time allows: dropped",
            event.job_id,
            event.scheduled_run_time,
        )
