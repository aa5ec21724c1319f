"""A real streaming replica that lags, stops and comes back (common/replica.py).

The test's PostgreSQL gets a replica made with pg_basebackup; gunicorn reads the public API
from it. Where an answer came from shows in the answer: with the replica's replay paused
(pg_wal_replay_pause), a service item just published on the primary is a 404 on the replica
and a 200 on the primary.

- **Lag.** Replay paused: the replica answers (404) until it is REPLICA_MAX_LAG_SECONDS behind,
  then the primary does (200), by itself.
- **Replica down.** Stopped with a fast shutdown, web processes holding connections to it:
  every public read is answered, from the primary; none fails.
- **Replica back.** Started again, it catches up and answers public reads again.
"""

import time
from collections import Counter

from tests.factories import ServiceItemFactory
from tests.faults.conftest import figure
from tests.faults.http import Visitor
from tests.faults.servers import PostgreSQL, wait_for

MAX_LAG_SECONDS = 5
# Long enough that the replica's stop falls inside a window where a web process still believes it
# up: those reads fail on it and are answered again from the primary.
CHECK_SECONDS = 2


def service_status(visitor: Visitor, code: str) -> int:
    return visitor.get(f"/api/v1/services/{code}/").status


def replayed(replica: PostgreSQL, code: str) -> bool:
    return bool(replica.query(f"SELECT 1 FROM services_serviceitem WHERE code = '{code}'"))


def publish_with_replay_paused(replica: PostgreSQL) -> tuple[str, float]:
    """Publishes an item the replica receives but does not replay; returns it and when.

    First an item it does replay, so that its last replayed transaction is a moment old: the
    lag of what follows is counted from there.
    """
    ticked = ServiceItemFactory().code
    wait_for(lambda: replayed(replica, ticked), 30, "the replica replaying a new item")
    replica.query("SELECT pg_wal_replay_pause()")
    code = ServiceItemFactory().code
    return code, time.monotonic()


def resume_replay(replica: PostgreSQL, code: str, *, settle: bool = True) -> None:
    replica.query("SELECT pg_wal_replay_resume()")
    wait_for(lambda: replayed(replica, code), 30, "the replica catching up")
    if settle:
        time.sleep(CHECK_SECONDS + 0.5)  # the web process's last look at the replica has expired


def test_public_reads_follow_the_replica_through_lag_outage_and_return(stack):
    replica = stack.start_replica()
    stack.env.update(
        REPLICA_MAX_LAG_SECONDS=str(MAX_LAG_SECONDS), REPLICA_CHECK_SECONDS=str(CHECK_SECONDS)
    )
    web = stack.web(workers=1)
    visitor = Visitor(stack.web_port)
    warm = ServiceItemFactory().code
    for _ in range(5):  # the first requests of a fresh process take seconds: not under test
        assert service_status(visitor, warm) == 200

    # Lag: the replica answers while it is less behind than allowed, then the primary does.
    code, published = publish_with_replay_paused(replica)
    first = service_status(visitor, code)
    answers = [first]
    while answers[-1] == 404 and time.monotonic() - published < MAX_LAG_SECONDS + 10:
        time.sleep(0.1)
        answers.append(service_status(visitor, code))
    fell_back_after = time.monotonic() - published
    assert first == 404, "a fresh replica was not read"
    assert answers[-1] == 200, f"still reading a replica {MAX_LAG_SECONDS} s behind: {answers}"
    assert set(answers) == {404, 200}
    assert fell_back_after <= MAX_LAG_SECONDS + CHECK_SECONDS + 2
    assert service_status(visitor, code) == 200

    # Replay resumed: the replica answers again.
    resume_replay(replica, code)
    code, _ = publish_with_replay_paused(replica)
    assert service_status(visitor, code) == 404, "the replica was not read again after its lag"

    # Down: stopped under the web process's open connection to it, which it had just found
    # usable; the primary answers everything, the reads that failed on the replica again.
    resume_replay(replica, code)
    assert service_status(visitor, code) == 200
    replica.stop()
    stopped = time.monotonic()
    during_outage = Counter()
    while time.monotonic() - stopped < 3:
        during_outage[service_status(visitor, code)] += 1
        during_outage[visitor.get("/disclosure/decisions/").status] += 1
    health = visitor.get("/health/")
    assert set(during_outage) == {200}, during_outage
    assert health.status == 200 and '"replica_lag_seconds": null' in health.body, health.body
    answered_again = web.log.read_text().count("failed on the read replica")
    assert answered_again >= 1, "no read met the replica stopped"

    # Back: started again, it catches up and is read again.
    replica.start()
    started = time.monotonic()
    while True:
        code, _ = publish_with_replay_paused(replica)
        read_from_replica = service_status(visitor, code) == 404
        resume_replay(replica, code, settle=False)
        if read_from_replica:
            break
        assert time.monotonic() - started < 60, "the replica was not read again once back"
    back_after = time.monotonic() - started

    figure(
        f"Read replica: fell back to the primary {fell_back_after:.1f} s after replay paused "
        f"(allowed lag {MAX_LAG_SECONDS} s); replica down: {sum(during_outage.values())} public "
        f"reads in 3 s, all 200 from the primary ({answered_again} answered again after failing on "
        f"it); read again {back_after:.1f} s after restart (health re-checked every {CHECK_SECONDS} s)"
    )
