"""The replica router's decisions (sme_pilot.db), without a replica: where a read goes inside and
outside a `replica_reads()` block, read-your-writes by WAL position, the fallback after a replica
failure, and the middleware's cookie. tests/test_replica.py drives the same against real
PostgreSQL clusters."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.exceptions import MiddlewareNotUsed
from django.db import OperationalError
from django.http import HttpResponse
from django.test import RequestFactory

from sme_pilot import db
from sme_pilot.db import PRIMARY, REPLICA, choose_read_alias, replica_reads


def test_wal_positions_read_and_print_like_postgresql():
    assert db.parse_lsn("16/B374D848") == (0x16 << 32) | 0xB374D848
    assert db.format_lsn(db.parse_lsn("16/B374D848") or 0) == "16/B374D848"
    assert db.parse_lsn("0/0") == 0
    for bad in (None, "", "16", "/1", "1/", "x/1", "123456789/0", "1/2/3"):
        assert db.parse_lsn(bad) is None, bad


def test_without_a_replica_everything_reads_the_primary_and_nothing_is_asked():
    assert not db.replica_configured()
    assert db.primary_lsn() is None
    assert choose_read_alias() == PRIMARY
    with replica_reads():
        assert choose_read_alias() == PRIMARY
    assert replica_reads()(choose_read_alias)() == PRIMARY
    router = db.ReplicaRouter()
    assert router.db_for_write(object) == PRIMARY
    assert router.allow_migrate(PRIMARY, "cities") and not router.allow_migrate(REPLICA, "cities")
    with pytest.raises(MiddlewareNotUsed):
        db.ReadYourWritesMiddleware(lambda request: HttpResponse())


@pytest.fixture
def replica(monkeypatch) -> Iterator[dict[str, object]]:
    """A configured, healthy replica that has replayed up to `state["replayed"]`."""
    state: dict[str, object] = {"replayed": 100, "fail": False, "asked": 0}

    def position(needed: int | None) -> int | None:
        state["asked"] = int(state["asked"]) + 1  # type: ignore[call-overload]
        if state["fail"]:
            raise OperationalError("connection refused")
        return state["replayed"] if needed is not None else None  # type: ignore[return-value]

    monkeypatch.setattr(db, "replica_configured", lambda: True)
    monkeypatch.setattr(db, "_replica_position", position)
    monkeypatch.setattr(db, "_close_replica", lambda: None)
    monkeypatch.setattr(db, "primary_lsn", lambda: 500)
    db.mark_replica_up()
    yield state
    db.mark_replica_up()


def test_only_a_marked_block_reads_the_replica_and_decides_once(replica):
    assert choose_read_alias() == PRIMARY
    with replica_reads():
        assert choose_read_alias() == REPLICA
        assert choose_read_alias() == REPLICA
    assert choose_read_alias() == PRIMARY
    assert replica["asked"] == 1


def test_a_block_reads_the_primary_until_the_replica_has_replayed_its_bound(replica):
    with replica_reads(min_lsn=101):
        assert choose_read_alias() == PRIMARY
    with replica_reads(min_lsn=100):
        assert choose_read_alias() == REPLICA
    with replica_reads(), db.replica_reads_since(150):  # an inner bound: its own decision
        assert choose_read_alias() == PRIMARY
    with db.replica_reads_since(50):  # outside any block: nothing changes
        assert choose_read_alias() == PRIMARY


def test_a_reader_never_reads_the_replica_behind_their_own_write(replica):
    state = db._Request(written_lsn=120, unsafe=False)
    token = db._request.set(state)
    try:
        with replica_reads():
            assert choose_read_alias() == PRIMARY
        assert not state.caught_up
        replica["replayed"] = 120
        with replica_reads():
            assert choose_read_alias() == REPLICA
        assert state.caught_up
        state.wrote = True  # a page that follows its own write, in the same request
        with replica_reads():
            assert choose_read_alias() == PRIMARY
    finally:
        db._request.reset(token)


def test_a_replica_that_cannot_be_reached_is_left_alone_for_a_while(replica, settings):
    settings.DATABASE_REPLICA_RETRY_SECONDS = 60
    replica["fail"] = True
    with replica_reads():
        assert choose_read_alias() == PRIMARY
    assert db.replica_down()
    replica["fail"] = False
    with replica_reads():
        assert choose_read_alias() == PRIMARY  # not asked again within the retry interval
    assert replica["asked"] == 1
    db.mark_replica_up()
    with replica_reads():
        assert choose_read_alias() == REPLICA


def test_a_block_that_fails_on_the_replica_runs_again_on_the_primary(replica, monkeypatch):
    monkeypatch.setattr(db, "_replica_broken", lambda: True)
    seen: list[str] = []

    @replica_reads()
    def page() -> str:
        alias = choose_read_alias()
        seen.append(alias)
        if alias == REPLICA:
            raise OperationalError("server closed the connection unexpectedly")
        return "答复"

    assert page() == "答复"
    assert seen == [REPLICA, PRIMARY]
    assert db.replica_down()


def test_an_error_on_the_primary_is_not_retried(replica):
    @replica_reads()
    def page() -> str:
        raise OperationalError("primary gone")

    db.mark_replica_down("test")  # the block never touches the replica
    with pytest.raises(OperationalError):
        page()


def test_the_middleware_remembers_a_write_and_forgets_it_once_replayed(replica):
    factory = RequestFactory()

    def view(request):
        with replica_reads():
            choose_read_alias()
        return HttpResponse("ok")

    middleware = db.ReadYourWritesMiddleware(view)
    posted = middleware(factory.post("/funds/X/book/"))
    assert posted.cookies[db.COOKIE].value  # signed "0/1F4"
    assert posted.cookies[db.COOKIE]["httponly"]

    request = factory.get("/cities/X/dashboard/")
    request.COOKIES[db.COOKIE] = posted.cookies[db.COOKIE].value
    replica["replayed"] = 400  # behind the write (500): the primary, the cookie stays
    assert db.COOKIE not in middleware(request).cookies
    replica["replayed"] = 500
    cleared = middleware(request)
    assert cleared.cookies[db.COOKIE].value == ""  # deleted: the replica has it

    forged = factory.get("/cities/X/dashboard/")
    forged.COOKIES[db.COOKIE] = "FFFF/FFFFFFFF"
    assert db._cookie_lsn(forged) is None
