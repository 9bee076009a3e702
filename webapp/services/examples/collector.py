"""Example: a small collector.

It writes a few metric points and log lines to DataKit through the ``datakit`` connector (on a
fresh install, Funcpad's embedded receiver). Run it, publish it, give it a cron job, then open
Metrics (measurement ``example_cpu``) and Logs (source ``example_collector``).
"""

import random
import time


@DFF.API("Collect example metrics", category="example", timeout=30)
def collect(hosts=3):
    """Write one CPU point and one log line per host; returns what was written."""
    datakit = DFF.SRC("datakit")
    now = time.time()
    written = []
    for number in range(1, hosts + 1):
        host = f"web-{number}"
        usage = round(random.uniform(5, 95), 1)
        status, _ = datakit.write_metric(
            measurement="example_cpu",
            tags={"host": host},
            fields={"usage": usage, "load": round(usage / 25, 2)},
            timestamp=now,
        )
        level = "warning" if usage > 80 else "info"
        datakit.write_logging(
            measurement="example_collector",
            tags={"host": host, "status": level},
            fields={"message": f"{host}: CPU at {usage}%"},
            timestamp=now,
        )
        print(f"{host}: CPU {usage}% written (DataKit answered {status})")
        written.append({"host": host, "usage": usage})
    return {"written": len(written), "points": written}
