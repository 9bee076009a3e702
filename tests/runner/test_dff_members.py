"""The DFF object as DataFlux Func scripts use it, in the real sandbox: unknown members are
None, lower-case aliases, LOG/VAR/print_var, EVAL/EXEC, ENV.get/keys, CTX across imported
scripts, SQL, @DFF.API's attributes, a Warning skips the run, every _DFF_* variable."""

from tests.runner.conftest import job
from webapp.sdk import dff
from webapp.sdk.dff_helpers import format_sql


def run(pool, code, func="main", **extra):
    messages: list[str] = []
    result = pool.run(
        job(code, func, script_id=extra.pop("script_id", "compat__main"), **extra),
        lambda message: messages.append(message.get("message")),
    )
    return result, messages


def test_members_aliases_and_logging(pool):
    code = (
        "def main():\n"
        "    DFF.LOG('a', 1, sep='-')\n"
        "    DFF.log('lower', 'case')\n"
        "    DFF.VAR(3, total=[1, 2])\n"
        "    print_var('x')\n"
        "    return [DFF.NO_SUCH_MEMBER, DFF.some_unknown, DFF.env is DFF.ENV,\n"
        "            DFF.EVAL('1 + 2'), DFF.eval('2 * 3'), DFF.ENV.get('RETRIES'),\n"
        "            DFF.ENV('HOSTS'), DFF.ENV.keys(), DFF.ENV('MISSING')]\n"
    )
    env = {
        "RETRIES": {"type": "integer", "value": 3},
        "HOSTS": {"type": "commaArray", "value": ["a", "b"]},
    }
    result, messages = run(pool, code, env=env)
    assert result["status"] == "success", result["error"]
    assert result["return_value"] == [
        None,
        None,
        True,
        3,
        6,
        3,
        ["a", "b"],
        ["HOSTS", "RETRIES"],
        None,
    ]
    assert messages[:2] == ["a-1", "lower case"]
    assert messages[2].startswith("[VAR] type=`int`, value=`3`, obj_size=`")
    assert messages[3].startswith("total: [VAR] type=`list`, value=`[1, 2]`")
    assert messages[4].startswith("[VAR] type=`str`, value=`x`")


def test_ctx_is_shared_by_the_scripts_of_one_run_and_imports_have_their_own_api(pool):
    utils = "DFF.CTX.set('from_utils', {'n': 1})\n@DFF.API('Util')\ndef util():\n    return 1\n"
    code = (
        "import compat__utils\n"
        "@DFF.API('Main')\n"
        "def main():\n"
        "    copy = DFF.CTX.get('from_utils')\n"
        "    copy['n'] = 99\n"
        "    return [DFF.CTX('from_utils'), DFF.CTX.has('from_utils'), sorted(DFF.CTX.get_all())]\n"
    )
    result, _ = run(pool, code, modules={"compat__utils": utils})
    assert result["return_value"] == [{"n": 1}, True, ["from_utils"]]
    extracted, _ = run(pool, code, func=None, mode="extract", modules={"compat__utils": utils})
    assert [f["name"] for f in extracted["funcs"]] == ["main"]  # not the imported util


def test_dff_api_sets_dataflux_attributes_and_title_is_optional(pool):
    code = (
        "@DFF.API(category='ops', tags=['b', 'a', 'b'])\n"
        "def collect(host, port=9529):\n"
        "    '''Collect.'''\n"
        "def main():\n"
        "    f = collect\n"
        "    return [f._DFF_FUNC_ID, f._DFF_FUNC_NAME, f._DFF_FUNC_TITLE, f._DFF_FUNC_CATEGORY,\n"
        "            f._DFF_FUNC_TAGS, f._DFF_FUNC_ARGS, f._DFF_FUNC_KWARGS, f._DFF_FUNC_DEFINITION,\n"
        "            f._DFF_FUNC_DESCRIPTION]\n"
    )
    result, _ = run(pool, code)
    assert result["return_value"] == [
        "compat__main.collect",
        "collect",
        None,
        "ops",
        ["a", "b"],
        ["host", "port"],
        {"host": {}, "port": {"default": 9529}},
        "collect(host, port=9529)",
        "Collect.",
    ]


def test_members_not_here_fail_by_name(pool):
    code = (
        "def main():\n"
        "    present = [bool(DFF.SYS_DB), bool(DFF.sys_cache_db)]\n"
        "    try:\n"
        "        DFF.sys_db.query('SELECT 1')\n"
        "    except NotImplementedError as exc:\n"
        "        return present + [type(exc).__name__, str(exc)]\n"
    )
    result, _ = run(pool, code)
    assert result["return_value"] == [
        False,
        False,
        "NotAvailableHere",
        "DFF.SYS_DB is not available in Funcpad: scripts cannot reach the platform's database here",
    ]


def test_dff_datakit_is_the_helper_class(pool):
    code = (
        "def main():\n"
        "    helper = DFF.DATAKIT(url='http://127.0.0.1:9', dry_run=True)\n"
        "    return [list(helper.write_metric('m', fields={'v': 1})),\n"
        "            DFF.DATAKIT.convert_to_ns(1), DFF.datakit is DFF.DATAKIT]\n"
    )
    result, _ = run(pool, code)
    assert result["return_value"] == [[0, None], 10**9, True]


def test_raising_a_warning_skips_the_run(pool):
    result, _ = run(pool, "def main():\n    raise UserWarning('nothing to do today')\n")
    assert result["status"] == "skipped"
    assert (
        result["error"]["type"] == "UserWarning" and "nothing to do" in result["error"]["message"]
    )


def test_every_dff_variable_is_set(pool):
    code = "def main():\n    return {k: v for k, v in globals().items() if k.startswith('_DFF_')}\n"
    context = {
        "func_id": "compat__main.main",
        "origin": "manual",
        "origin_id": "cron-1",
        "trigger_time": 1700000000,
        "cron_expr": "*/5 * * * *",
    }
    result, _ = run(pool, code, context=context, id="task-1")
    values = result["return_value"]
    assert set(values) == set(dff.BUILTIN_VARIABLES)
    assert values["_DFF_ORIGIN"] == "cronJob" and values["_DFF_CRON_JOB_EXEC_MODE"] == "manual"
    assert values["_DFF_SCRIPT_SET_ID"] == "compat" and values["_DFF_FUNC_NAME"] == "main"
    assert values["_DFF_TRIGGER_TIME_MS"] == 1700000000000 and values["_DFF_TASK_ID"] == "task-1"
    assert values["_DFF_CRONTAB"] == values["_DFF_CRON_EXPR"] == "*/5 * * * *"
    assert values["_DFF_DEBUG"] is False and values["_DFF_ROOT_TASK_ID"] == "ROOT"


def test_format_sql_follows_dataflux_func():
    assert format_sql("SELECT 1 ") == "SELECT 1"
    assert format_sql("WHERE id IN (?)", [[1, 2, 3]]) == "WHERE id IN (1, 2, 3)"
    assert format_sql("WHERE ?? = ?", ["name", "o'k\n"]) == "WHERE name = 'o\\'k\\n'"
    assert format_sql("VALUES ?", [[(1, "a"), (2, None)]]) == "VALUES (1, 'a'), (2, NULL)"
    assert format_sql("SET ?", [{"a": True, "b": None}]) == "SET a = TRUE, b = NULL"
    assert format_sql("SET ?", [{"a": 1, "b": 2}], pretty=True) == "SET a = 1,\n  b = 2"
    assert format_sql("a = ? AND b = ??? AND c = ?", [1]) == "a = 1 AND b = ??? AND c = ?"
    assert format_sql("a = ?", 5) == "a = 5"  # a single value need not be a list
