"""`Begun`: the first part of a coroutine runs at once, the rest when awaited, as with a plain await."""

import asyncio

import pytest

from notifier.adapters.hand_over_commit import Begun


async def test_the_first_part_runs_at_once_and_the_rest_when_awaited():
    steps = []
    answer = asyncio.get_running_loop().create_future()

    async def query():
        steps.append("written")
        result = await answer
        steps.append("answered")
        return result

    begun = Begun(query())
    assert steps == ["written"], "ran up to its first pause, before the event loop's next turn"
    asyncio.get_running_loop().call_soon(answer.set_result, "COMMIT")
    assert await begun == "COMMIT"
    assert steps == ["written", "answered"]


async def test_errors_before_and_after_the_pause_reach_the_awaiter():
    async def fails_at_once():
        raise ConnectionResetError("gone")

    async def fails_later():
        await asyncio.sleep(0)
        raise ConnectionResetError("gone later")

    with pytest.raises(ConnectionResetError, match="gone"):
        await Begun(fails_at_once())
    with pytest.raises(ConnectionResetError, match="gone later"):
        await Begun(fails_later())


async def test_a_coroutine_that_never_pauses_gives_its_result():
    async def done():
        return 7

    assert await Begun(done()) == 7


async def test_cancelling_the_awaiter_cancels_the_coroutine():
    cleaned = []

    async def waits():
        try:
            await asyncio.sleep(10)
        finally:
            cleaned.append(True)

    async def awaiter():
        await Begun(waits())

    task = asyncio.create_task(awaiter())
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert cleaned == [True]
