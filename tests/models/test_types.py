from datetime import UTC, datetime, timedelta, timezone

import pytest

from webapp.extensions import db
from webapp.models import User


def test_datetimes_come_back_aware_in_utc(app_ctx, admin):
    plus8 = timezone(timedelta(hours=8))
    admin.last_login_at = datetime(2026, 1, 1, 8, 0, tzinfo=plus8)
    db.session.commit()
    db.session.expire_all()
    loaded = db.session.get(User, admin.id).last_login_at
    assert loaded == datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
    assert loaded.tzinfo is UTC


def test_naive_datetimes_are_refused(app_ctx, admin):
    admin.last_login_at = datetime(2026, 1, 1, 8, 0)
    with pytest.raises(Exception, match="naive"):
        db.session.commit()
    db.session.rollback()
