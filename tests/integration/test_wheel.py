"""What a user installs is the wheel: built from this tree, installed in a fresh virtualenv, it puts one import
name an app could clash with (`hooks`; the engine `workers` is loaded only by our own processes), and every
Procfile process started from an app's root that holds its own `config` and `workers` delivers an event."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

import hooks
from hooks.local.processes import stop_process
from hooks.local.servers import free_port
from tests.conftest import use_env, wait_for
from tests.support.http import http_status

# a wheel built, a fresh venv with its dependencies, every Procfile process started from it: the longest module
pytestmark = pytest.mark.slow(first=True)

ROOT = Path(__file__).resolve().parents[2]
TRAP = "raise RuntimeError(\"the app's own {name} was imported instead of hooks' own\")\n"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from a copy of this tree (the build writes its own files; the checkout stays clean)."""
    src = tmp_path_factory.mktemp("src") / "hooks-webhooks"
    shutil.copytree(
        ROOT,
        src,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", "__pycache__", "*.egg-info", "build", "dist", "node_modules", ".*_cache"
        ),
    )
    out = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "-q", "-w", str(out)], timeout_s=300)
    (built,) = out.glob("hooks_webhooks-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with the wheel (and its dependencies) installed: its bin directory."""
    where = tmp_path_factory.mktemp("venv") / "v"
    _run([sys.executable, "-m", "venv", str(where)], timeout_s=120)
    _run([str(where / "bin" / "pip"), "install", "-q", "--disable-pip-version-check", str(wheel)], timeout_s=600)
    return where / "bin"


def test_the_wheel_installs_hooks_and_the_engine_and_nothing_named_config(wheel: Path) -> None:
    tops = {name.split("/")[0] for name in zipfile.ZipFile(wheel).namelist()}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"hooks", "workers"}


def test_the_wheel_brings_the_docs_pages_files_and_the_dashboards(wheel: Path, venv: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"hooks/api/static/docs.js", "hooks/api/static/app.js", "hooks/api/templates/base.html"} <= names
    assert {"hooks/portal/templates/base.html", "hooks/portal/templates/endpoint.html",
            "hooks/portal/static/portal.css"} <= names  # fmt: skip
    # Swagger UI's files come with a dependency (installed with the wheel), never from a CDN
    check = (
        "from hooks.api.docs import SWAGGER_UI as d, SWAGGER_UI_FILES as f; print(all((d / n).is_file() for n in f))"
    )
    assert _run([str(venv / "python"), "-c", check]).stdout.strip() == "True"


def flask_style(root: Path) -> None:
    """Flask's docs: a config.py at the root; and an RQ-style workers.py."""
    (root / "config.py").write_text("class Config:\n    SECRET_KEY = 'dev'\n" + TRAP.format(name="config.py"))
    (root / "workers.py").write_text(TRAP.format(name="workers.py"))


def django_style(root: Path) -> None:
    """cookiecutter-django: settings in a config/ package; and a workers/ package of the app's own."""
    for package in ("config", "workers"):
        (root / package).mkdir()
        (root / package / "__init__.py").write_text(TRAP.format(name=f"{package}/"))
    (root / "config" / "settings.py").write_text("DEBUG = True\n")


@pytest.fixture(params=[flask_style, django_style], ids=["config.py+workers.py", "config/+workers/"])
def app_root(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """An application's root directory, laid out as `request.param` does."""
    request.param(tmp_path)
    return tmp_path


def test_publish_event_imports_from_an_app_root_with_its_own_config_and_workers(venv: Path, app_root: Path) -> None:
    done = _run(
        [str(venv / "python"), "-c", "from hooks import publish_event, outbox; print(publish_event.__module__)"],
        cwd=app_root,
    )
    assert done.stdout.strip() == "hooks.producer.publish"
    # the app's own `workers` is what a plain import from its root finds (`python -m` and `-c` put the cwd first),
    trap = subprocess.run([str(venv / "python"), "-c", "import workers"], cwd=app_root, capture_output=True, text=True)
    assert "instead of hooks' own" in trap.stderr
    # yet the processes load hooks' engine from beside hooks, even with the cwd first on sys.path
    engine = _run(
        [
            str(venv / "python"),
            "-c",
            "from hooks.cli.processes import load_engine; print(load_engine('workers.run').__file__)",
        ],
        cwd=app_root,
    )
    assert engine.stdout.strip() == str(
        venv.parent
        / "lib"
        / f"python{sys.version_info[0]}.{sys.version_info[1]}"
        / "site-packages"
        / "workers"
        / "run.py"
    )


def test_every_procfile_process_started_from_an_app_root_delivers(
    venv, app_root, make_cluster, receiver, history, log_dir, monkeypatch
) -> None:
    # Given the app's environment (its own Redis database, the history, an outbox in the app's SQLite database)
    env = {
        **make_cluster(archiver=False).env,
        "PATH": f"{venv}:{os.defpath}",
        "HOOKS_WORKER_CONCURRENCY": "4",
        "HOOKS_OUTBOX_URL": f"sqlite:///{app_root / 'app.db'}",
        "FLOWER_BASIC_AUTH": "admin:correct-horse-battery",
        "FLOWER_PORT": str(free_port()),
        "HOOKS_API_PORT": str(free_port()),
    }
    env.pop("PYTHONPATH", None)
    use_env(env, monkeypatch)
    _run(["hooks", "outbox", "migrate"], cwd=app_root, env=env)
    plain = hooks.create_webhook(receiver.url + "/plain", ["orders.created", "api.sent"])
    hooks.create_webhook(receiver.url + "/retried", ["orders.created"])
    receiver.script("/retried", [(500, 0, {}), (204, 0, {})])
    # When every process of the Procfile starts from the app's root, as the Procfile says
    procs = _procfile(env, app_root, log_dir / app_root.name)
    try:
        _wait_started(procs, log_dir / app_root.name)
        # Then the app's commit reaches the receivers through the relay and the worker
        app_code = (
            "import sqlite3; from hooks import outbox; c = sqlite3.connect('app.db'); "
            "outbox.publish(c, 'orders.created', {'n': 1}); c.commit()"
        )
        _run([str(venv / "python"), "-c", app_code], cwd=app_root, env=env)
        (first,) = wait_for(lambda: receiver.requests_to("/plain"), 30, what="the outbox event")
        # the scheduler sends the retry of the endpoint that answered 500 first
        wait_for(lambda: [r.status for r in receiver.requests_to("/retried")] == [500, 204], 30, what="the retry")
        # the archiver writes the delivery to the history
        wait_for(lambda: _in_history(history, first.headers["webhook-id"]), 30, what="the history row")
        # the API publishes
        key = json.loads(
            _run(["hooks", "api-key", "create", "--name", "wheel", "--json"], cwd=app_root, env=env).stdout
        )
        assert _post(f"http://127.0.0.1:{env['HOOKS_API_PORT']}/v1/events", key["key"]) == 202
        wait_for(lambda: len(receiver.requests_to("/plain")) == 2, 30, what="the event published through the API")
        # and Flower answers with its credentials only
        flower = f"http://127.0.0.1:{env['FLOWER_PORT']}/"
        assert http_status(flower) == 401 and http_status(flower, "admin:correct-horse-battery") == 200
        assert json.loads(receiver.requests_to("/plain")[0].body)["type"] == "orders.created"
        assert plain.secret
    finally:
        for proc in procs.values():
            stop_process(proc)
    assert not any("instead of hooks' own" in p.read_text() for p in (log_dir / app_root.name).glob("*.log"))


def _procfile(env: dict[str, str], cwd: Path, logs: Path) -> dict[str, subprocess.Popen[bytes]]:
    """Every line of the repository's Procfile, run by a shell from `cwd`, as honcho or foreman would."""
    logs.mkdir(parents=True, exist_ok=True)
    procs = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, command = (part.strip() for part in line.split(":", 1))
            procs[name] = subprocess.Popen(
                ["sh", "-c", f"exec {command}"],
                cwd=cwd,
                env=env,
                start_new_session=True,
                stdout=open(logs / f"{name}.log", "wb"),  # noqa: SIM115 - the child owns it
                stderr=subprocess.STDOUT,
            )
    assert set(procs) == {"worker", "scheduler", "flower", "archiver", "api", "relay"}
    return procs


def _wait_started(procs: dict[str, subprocess.Popen[bytes]], logs: Path) -> None:
    marks = {
        "worker": " ready.",
        "scheduler": "scheduler started",
        "archiver": "archiver started",
        "relay": "relay started",
        "api": "Uvicorn running",
        "flower": "Visit me at",
    }

    def started() -> bool:
        for name, proc in procs.items():
            if proc.poll() is not None:
                pytest.fail(f"{name} exited: {(logs / f'{name}.log').read_text()[-2000:]}")
        return all(marks[n] in (logs / f"{n}.log").read_text() for n in procs)

    wait_for(started, 60, what="every Procfile process to start")


def _in_history(engine: Engine, delivery_id: str) -> bool:
    with engine.connect() as conn:
        return bool(
            conn.execute(
                text("SELECT 1 FROM deliveries WHERE id = :id AND status = 'delivered'"), {"id": delivery_id}
            ).first()
        )


def _post(url: str, key: str) -> int:
    body = json.dumps({"event_type": "api.sent", "data": {}}).encode()
    request = urllib.request.Request(url, body, {"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return int(response.status)


def _run(
    args: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None, timeout_s: float = 120
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout_s)
    assert done.returncode == 0, f"{args}: {done.stdout[-1000:]}{done.stderr[-3000:]}"
    return done
