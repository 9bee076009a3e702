"""Sealed broker messages: what a process that reaches Redis can and cannot do with them."""

import time

import pytest

from webapp.executor.sealing import Sealer, Unsealed

KEY = "a-secret-key-of-this-platform-" + "x" * 20


def test_a_sealed_message_opens_with_the_same_key_only():
    message = {"task_id": "t1", "job": {"env": {"PASSWORD": "hunter2"}}}
    sealed = Sealer(KEY).seal(message)
    assert "hunter2" not in sealed and "t1" not in sealed  # encrypted, not only signed
    assert Sealer(KEY).open(sealed) == message
    with pytest.raises(Unsealed):
        Sealer("another-platform-key-" + "y" * 30).open(sealed)


@pytest.mark.parametrize(
    "forged",
    ['{"task_id": "t1"}', "", None, 42, b"gAAAAA-not-a-token", ["list"]],
)
def test_anything_not_sealed_is_refused(forged):
    with pytest.raises(Unsealed):
        Sealer(KEY).open(forged)


def test_a_changed_byte_is_refused():
    sealed = Sealer(KEY).seal({"task_id": "t1"})
    middle = len(sealed) // 2
    changed = sealed[:middle] + ("A" if sealed[middle] != "A" else "B") + sealed[middle + 1 :]
    with pytest.raises(Unsealed):
        Sealer(KEY).open(changed)


def test_an_old_message_is_refused():
    sealed = Sealer(KEY).seal({"task_id": "t1"})
    time.sleep(2.1)  # Fernet counts whole seconds
    with pytest.raises(Unsealed):
        Sealer(KEY).open(sealed, max_age=1)
