"""Where runs reach the embedded receiver: this host's listener, or FUNCPAD_RECEIVER_URL."""

from tests.conftest import app_config
from webapp import create_app, host
from webapp.extensions import db


def test_runs_reach_the_receiver_here_or_where_the_config_says(data_dir):
    here = create_app(app_config(data_dir))
    assert host.embedded_url(here) == "http://127.0.0.1:9529"
    elsewhere = create_app(app_config(data_dir, FUNCPAD_RECEIVER_URL="http://web:9529"))
    assert host.embedded_url(elsewhere) == "http://web:9529"
    with elsewhere.app_context():
        # the datakit connector every fresh install has points at the embedded receiver
        jobs = host.load_for_job(db.session, {"datakit"})
        assert "http://web:9529" in str(jobs["datakit"])
        db.session.remove()
