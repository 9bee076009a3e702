"""Executing scripts: sandbox layers, a zygote per slot, and the pool in front of them.

Host side: ``sandbox.py`` (detect layers, build the command), ``network.py`` (what scripts may
reach), ``pool.py`` (queue, slots, restarts), ``supervisor.py`` (one job's frames, caps and
record), ``service.py`` (app glue; the rules of a run are in ``webapp/services/runs.py``).
Child side (copied into the sandbox, no webapp imports): ``forkserver.py`` (the zygote),
``confine.py``, ``harness.py``, ``framing.py``, ``netsetup.py``.
"""
