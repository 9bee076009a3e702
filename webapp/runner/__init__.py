"""Executing scripts: sandbox layers, a fork server per slot, and the pool in front of them.

Host side: ``sandbox.py`` (detect layers, build the command), ``pool.py`` (queue, slots, restarts),
``service`` glue in ``webapp/services/runs.py``. Child side (copied into the sandbox, no webapp
imports): ``forkserver.py`` and ``harness.py``.
"""
