"""The Celery application as Funcpad configures it, and the names both sides use on Redis.

Why Celery: it is the best-known Python task queue, maintained, with the two behaviours this
needs built in (late acknowledgement: a message is removed only after its run ended; a Redis
visibility timeout: a message a dead worker held comes back), workers that serve some queues
only, and warm shutdown. Funcpad adds what Celery does not decide: each run is claimed once in
the database (``work.claim``), so a message delivered twice never runs twice, and every message
is sealed (``sealing``) so a process that reaches Redis cannot make a worker run anything.
"""

from __future__ import annotations

from celery import Celery

TASK_NAME = "funcpad.run"
CONTROL_CHANNEL = "funcpad:control"


def queue_name(queue: int) -> str:
    return f"funcpad-q{queue}"


def run_channel(task_id: str) -> str:
    """Where a run's printed lines and its end are published while a caller waits."""
    return f"funcpad:run:{task_id}"


def make_celery(redis_url: str, visibility_seconds: int = 300) -> Celery:
    """The Celery app; ``visibility_seconds``: a message a worker took and never acknowledged
    (it died) is delivered again after this, which the claim makes harmless for a run that had
    started (that one is recorded as worker lost instead)."""
    celery = Celery("funcpad", broker=redis_url, set_as_current=False)
    celery.conf.update(
        # JSON only: a pickled message (which could run code as it is read) is refused.
        task_serializer="json",
        accept_content=["json"],
        result_serializer="json",
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,  # a busy worker does not hold runs another could start
        task_default_queue=queue_name(1),
        broker_transport_options={
            "visibility_timeout": visibility_seconds,
            # Look for such messages every few seconds (kombu's default: every 100 s).
            "unacked_restore_interval": max(1, min(10, visibility_seconds // 3)),
            "unacked_restore_throttle": 1,
        },
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        task_send_sent_event=False,
        worker_cancel_long_running_tasks_on_connection_loss=False,
    )
    return celery
