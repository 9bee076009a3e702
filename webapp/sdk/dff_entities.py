"""``DFF.CRON_JOB``, ``DFF.SYNC_API``, ``DFF.ASYNC_API`` (and their older names CRONTAB_CONFIG,
AUTH_LINK, BATCH): read, save, list and call them by DataFlux Func's field names; a cron job's
schedule can also be set for a while or paused. Each call asks the platform."""

from __future__ import annotations

from typing import Any

try:
    from sdk.dff_helpers import NotAvailableHere
    from sdk.dff_store import NOT_HERE
except ImportError:
    from webapp.sdk.dff_helpers import NotAvailableHere
    from webapp.sdk.dff_store import NOT_HERE


class EntityHelper:
    """What SYNC_API, ASYNC_API and CRON_JOB share."""

    member = "DFF.SYNC_API"

    def __init__(self, host, kind: str) -> None:
        self._host = host
        self._kind = kind

    def _call(self, method: str, **args: Any) -> Any:
        if self._host is None:
            raise NotAvailableHere(NOT_HERE.format(member=self.member))
        return self._host(f"entity.{self._kind}.{method}", args)

    def get(self, entity_id: str | None = None) -> dict[str, Any] | None:
        """One entity as DataFlux Func's row (with scriptSetTitle, scriptTitle, funcTitle...);
        no id: the one that started this run.

        Example:
            me = DFF.CRON_JOB.get()
        """
        return self._call("get", entity_id=entity_id)

    def save(self, entity_id: str, data: dict[str, Any]) -> None:
        """Create or change one, by DataFlux Func's field names (funcId, funcCallKwargsJSON,
        cronExpr, isDisabled, note, tagsJSON, expireTime, throttlingJSON, showInDoc).

        Example:
            DFF.CRON_JOB.save("nightly", {"funcId": "ops__report.run", "cronExpr": "0 3 * * *"})
        """
        self._call("save", entity_id=entity_id, data=data)

    def query(self, fields: list[str] | None = None, filters: dict | None = None) -> list[dict]:
        """Rows, maybe only some fields, filtered as {field: {op: value}} (eq, ne, in, notin,
        like, isnull).

        Example:
            DFF.CRON_JOB.query(fields=["id", "cronExpr"], filters={"isDisabled": {"eq": False}})
        """
        return self._call("query", fields=fields, filters=filters)

    def call(
        self,
        entity_id: str,
        kwargs: dict | None = None,
        trigger_time: int | None = None,
        queue: int | None = None,
        timeout: int | None = None,
        expires: int | None = None,
    ) -> None:
        """Queue a run of its function with these kwargs (as given: the fixed ones are not
        merged); returns None at once.

        Example:
            DFF.SYNC_API.call("report-api", kwargs={"days": 7})
        """
        self._call(
            "call", entity_id=entity_id, kwargs=kwargs, trigger_time=trigger_time, queue=queue,
            timeout=timeout, expires=expires,
        )  # fmt: skip


class CronJobHelper(EntityHelper):
    """DFF.CRON_JOB: the cron jobs, and a job's schedule for a while."""

    member = "DFF.CRON_JOB"

    def set_cron_expr(
        self, cron_expr: str, expires: int | None = None, entity_id: str | None = None
    ) -> None:
        """Run the job on another schedule (for expires seconds, or until cleared); no id: the
        job that started this run.

        Example:
            DFF.CRON_JOB.set_cron_expr("*/1 * * * *", expires=3600)
        """
        self._call("set_cron_expr", cron_expr=cron_expr, expires=expires, entity_id=entity_id)

    def get_cron_expr(self, entity_id: str | None = None) -> str | None:
        """The schedule set with set_cron_expr, or None.

        Example:
            DFF.CRON_JOB.get_cron_expr("nightly")
        """
        return self._call("get_cron_expr", entity_id=entity_id)

    def get_all_cron_expr(self) -> dict[str, str]:
        """Every schedule set with set_cron_expr, as {job id: expression}.

        Example:
            DFF.CRON_JOB.get_all_cron_expr()
        """
        return self._call("get_all_cron_expr")

    def clear_cron_expr(self, entity_id: str | None = None) -> None:
        """Go back to the job's own schedule.

        Example:
            DFF.CRON_JOB.clear_cron_expr("nightly")
        """
        self._call("clear_cron_expr", entity_id=entity_id)

    def pause(self, expires: int, entity_id: str | None = None) -> None:
        """No run for expires seconds (the times pass without records).

        Example:
            DFF.CRON_JOB.pause(600, "nightly")
        """
        self._call("pause", expires=expires, entity_id=entity_id)

    set_crontab = set_temp_crontab = set_cron_expr
    get_crontab = get_temp_crontab = get_cron_expr
    get_all_crontab = get_all_temp_crontab = get_all_cron_expr
    clear_crontab = clear_temp_crontab = clear_cron_expr
