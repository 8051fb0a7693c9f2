"""Group commit: a lone item is written at once, items arriving during a write share the next one, and a
failed write reaches exactly the items of its batch."""

import asyncio

import pytest

from notifier.service_layer.group_commit import GroupCommit


async def test_items_that_arrive_during_a_write_share_the_next_one():
    batches, release = [], asyncio.Event()

    async def write(batch):
        batches.append(batch)
        if len(batches) == 1:
            await release.wait()

    group = GroupCommit(write)
    first = asyncio.create_task(group.add(1))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    later = [asyncio.create_task(group.add(n)) for n in (2, 3, 4)]
    await asyncio.sleep(0)
    release.set()
    await asyncio.gather(first, *later)
    assert batches == [[1], [2, 3, 4]]


async def test_a_failed_write_fails_its_own_batch_only():
    async def write(batch):
        if 2 in batch:
            raise ConnectionResetError("database gone")

    group = GroupCommit(write)
    await group.add(1)
    with pytest.raises(ConnectionResetError):
        await group.add(2)
    await group.add(3)  # the writer goes on
