"""Script-to-script imports in the real sandbox: the published code sent with the job, each
script once per run, the same-set form, cycles and missing scripts named, tracebacks that show
the imported scripts' frames by id."""

from tests.runner.conftest import job

UTILS = (
    "print('utils loaded')\nGREETING = 'hi'\n\ndef shout(text):\n    return text.upper() + '!'\n"
)


def run(pool, code, modules, script_id="tools__main", func="main", messages=None):
    on_log = (
        (lambda message: messages.append(message.get("message"))) if messages is not None else None
    )
    return pool.run(job(code, func, script_id=script_id, modules=modules), on_log)


def test_every_import_form_loads_the_script_once(pool):
    code = (
        "import tools__utils\n"
        "import tools__utils as u\n"
        "from tools__utils import GREETING, shout\n"
        "import __utils\n"
        "import importlib\n"
        "def main():\n"
        "    dynamic = importlib.import_module('tools__utils')\n"
        "    return [shout(GREETING), u is tools__utils, __utils is u, dynamic is u,\n"
        "            tools__utils.__name__]\n"
    )
    messages: list[str] = []
    result = run(pool, code, {"tools__utils": UTILS}, messages=messages)
    assert result["status"] == "success", result["error"]
    assert result["return_value"] == ["HI!", True, True, True, "tools__utils"]
    assert messages.count("utils loaded") == 1  # once per run, into the run's own log


def test_an_imported_script_shares_the_log_and_the_dff_variables(pool):
    utils = "def where():\n    print('from utils', _DFF_FUNC_ID)\n    return _DFF_ORIGIN\n"
    code = "from tools__utils import where\ndef main():\n    return where()\n"
    messages = []
    result = pool.run(
        job(
            code,
            "main",
            script_id="tools__main",
            modules={"tools__utils": utils},
            context={"func_id": "tools__main.main", "origin": "debug"},
        ),
        lambda message: messages.append(message.get("message")),
    )
    assert result["status"] == "success", result["error"]
    assert result["return_value"] == "direct"  # _DFF_ORIGIN in DataFlux Func's words
    assert "from utils tools__main.main" in messages


def test_a_cycle_is_named_instead_of_recursing(pool):
    modules = {
        "tools__a": "import tools__b\nA = 1\n",
        "tools__b": "import tools__a\nB = 2\n",
    }
    result = run(pool, "import tools__a\ndef main():\n    return 1\n", modules)
    assert result["status"] == "failure"
    assert result["error"]["type"] == "ImportError"
    assert (
        "circular import between scripts: tools__a -> tools__b -> tools__a"
        in (result["error"]["message"])
    )


def test_a_missing_script_is_a_module_not_found_error_naming_it(pool):
    result = run(pool, "import tools__nowhere\ndef main():\n    return 1\n", {})
    assert result["error"]["type"] == "ModuleNotFoundError"
    assert "tools__nowhere" in result["error"]["message"]
    # A computed name cannot be sent with the run: the same clear error, not a crash.
    dynamic = "def main():\n    return __import__('tools__' + 'hidden')\n"
    result = run(pool, dynamic, {})
    assert result["error"]["type"] == "ModuleNotFoundError"
    assert "published script" in result["error"]["message"]
    # The same-set form needs a set.
    result = run(pool, "import __utils\ndef main():\n    return 1\n", {}, script_id="plain")
    assert result["error"]["type"] == "ModuleNotFoundError"
    assert "same-set" in result["error"]["message"]


def test_tracebacks_show_the_imported_scripts_frames_by_id(pool):
    modules = {"tools__deep": "def boom():\n    x = 1\n    raise ValueError('deep failure')\n"}
    code = "from tools__deep import boom\n\ndef main():\n    return boom()\n"
    result = run(pool, code, modules)
    traceback = result["error"]["traceback"]
    assert 'File "<tools__main>", line 4, in main' in traceback
    assert 'File "<tools__deep>", line 3, in boom' in traceback
    assert "raise ValueError('deep failure')" in traceback
    assert "harness" not in traceback and "importlib" not in traceback
    assert result["error"]["line"] == 4  # the entry script's line


def test_a_script_only_sees_what_was_sent_not_other_scripts_or_their_drafts(pool):
    """Attack: the sandbox holds no database and no other script; only the published code of
    the scripts the entry imports travels with the job."""
    code = (
        "import sys\n"
        "def main():\n"
        "    found = sorted(n for n in sys.modules if '__' in n.strip('_') and '.' not in n)\n"
        "    try:\n"
        "        import tools__secret\n"
        "        return ['imported', found]\n"
        "    except ModuleNotFoundError:\n"
        "        return ['refused', found]\n"
    )
    result = run(pool, code, {"tools__utils": UTILS})
    assert result["return_value"] == ["refused", []]
