"""``DFF.CONN(id)`` of an mqtt connector: DataFlux Func's helper over paho-mqtt (1.6, MQTT 5).

``publish(topic, message, qos=0, retain=False)`` tries 3 times, as DataFlux Func does; a
dict or list message is sent as JSON. The connection is made on first use and closed when the
run ends.
"""

from __future__ import annotations

import json
import threading
from typing import Any

TRIES = 3
CONNECT_WAIT = 10.0  # seconds for the broker's CONNACK


class MQTTError(Exception):
    """The broker refused the connection or a message."""


class MQTTHelper:
    """An mqtt connector's helper."""

    def __init__(self, **config: Any) -> None:
        import paho.mqtt.client  # noqa: F401 - fails here, clearly, if the package is missing

        self.config = config
        self._client = None

    def _connected(self):
        if self._client is not None:
            return self._client
        import paho.mqtt.client as mqtt

        config = self.config
        client = mqtt.Client(
            client_id=config.get("clientId") or "",
            protocol=mqtt.MQTTv5,
            transport=config.get("transport") or "tcp",
        )
        user = config.get("user") or config.get("username")
        if user:
            client.username_pw_set(user, config.get("password") or None)
        answered = threading.Event()
        outcome: dict[str, Any] = {}

        def on_connect(_client, _userdata, _flags, reason, _properties=None):
            outcome["reason"] = reason
            answered.set()

        client.on_connect = on_connect
        client.connect(
            config.get("host", "127.0.0.1"),
            int(config.get("port", 1883)),
            keepalive=int(config.get("keepalive", 60)),
        )
        client.loop_start()
        if not answered.wait(CONNECT_WAIT):
            client.loop_stop()
            raise MQTTError("timed out waiting for the broker's answer (CONNACK)")
        reason = outcome["reason"]
        if getattr(reason, "value", reason) != 0:
            client.loop_stop()
            client.disconnect()
            raise MQTTError(f"the broker refused the connection: {reason}")
        self._client = client
        return client

    def close(self) -> None:
        """Disconnect (the platform does this when the run ends)."""
        if self._client is not None:
            self._client.disconnect()
            self._client.loop_stop()
            self._client = None

    def check(self) -> dict[str, Any]:
        """Connect to the broker: ``{"version": "MQTT 5"}``; raises when it cannot.

        Example:
            DFF.CONN("mqtt1").check()
        """
        self._connected()
        return {"version": "MQTT 5"}

    def publish(self, topic: str, message: Any, qos: int = 0, retain: bool = False) -> None:
        """Publish a message (text, bytes, or JSON for a dict or list); 3 tries.

        Example:
            DFF.CONN("mqtt1").publish("alerts/disk", {"host": "web-1", "free": 0.05})
        """
        if isinstance(message, dict | list):
            message = json.dumps(message, ensure_ascii=False)
        error: Exception | None = None
        for _attempt in range(TRIES):
            try:
                info = self._connected().publish(topic, message, qos=qos, retain=retain)
                info.wait_for_publish(timeout=10)
                if info.rc != 0:
                    raise MQTTError(f"publish failed (rc {info.rc})")
                return
            except (OSError, MQTTError, RuntimeError, ValueError) as exc:
                error = exc
                self.close()
        raise error  # type: ignore[misc]
