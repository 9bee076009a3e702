"""All models, importable from one place (Alembic autogenerate reads this)."""

from webapp.models.connectors import Connector
from webapp.models.counters import PlatformCounter
from webapp.models.crontab import CrontabConfig, SchedulerLease, SchedulerSetting
from webapp.models.env_vars import EnvVar
from webapp.models.func_apis import FuncApi
from webapp.models.func_store import FuncCacheEntry, FuncStoreEntry
from webapp.models.funcs import Func
from webapp.models.packages import PackageJob
from webapp.models.scripts import Script, ScriptRevision, ScriptSet
from webapp.models.task_records import TaskRecord
from webapp.models.users import ApiToken, LoginAttempt, User, UserSession
from webapp.models.workers import WorkerHeartbeat

__all__ = [
    "ApiToken",
    "Connector",
    "CrontabConfig",
    "EnvVar",
    "Func",
    "FuncApi",
    "FuncCacheEntry",
    "FuncStoreEntry",
    "LoginAttempt",
    "PackageJob",
    "PlatformCounter",
    "SchedulerLease",
    "SchedulerSetting",
    "Script",
    "ScriptRevision",
    "ScriptSet",
    "TaskRecord",
    "User",
    "UserSession",
    "WorkerHeartbeat",
]
