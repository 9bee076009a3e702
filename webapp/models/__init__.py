"""All models, importable from one place (Alembic autogenerate reads this)."""

from webapp.models.scripts import Script, ScriptRevision
from webapp.models.users import ApiToken, LoginFailure, User

__all__ = ["ApiToken", "LoginFailure", "Script", "ScriptRevision", "User"]
