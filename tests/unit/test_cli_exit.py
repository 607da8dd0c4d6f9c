"""The `edusandbox` command exits without the interpreter's teardown once main() has returned, and loses
nothing by it: other threads are waited for, every exit handler runs (temporary folders removed), the logs and
standard streams are flushed, and the status is main()'s. An exception takes the usual way out."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# A stand-in for main() with everything an exit must not lose; `{ending}` decides how it ends.
PROGRAM = '''
import atexit, logging, sys, tempfile, threading, time
from pathlib import Path
from pipelines import cli

out = Path(sys.argv[1])

class NoticesTeardown:
    def __del__(self):
        (out / "teardown").write_text("freed at teardown")

def stand_in():
    global kept, folder
    kept = NoticesTeardown()
    folder = tempfile.TemporaryDirectory(dir=out)
    (out / "folder").write_text(folder.name)
    atexit.register(lambda: (out / "exit_handler").write_text("ran"))
    def late():
        time.sleep(0.5)
        (out / "thread").write_text("finished")
    threading.Thread(target=late).start()
    logging.basicConfig(filename=out / "log", level=logging.INFO)
    logging.getLogger("edusandbox").info("logged line")
    print("the last line, not flushed", end="")
    {ending}

cli.main = stand_in
cli.entry()
'''


def _run(tmp_path: Path, ending: str) -> subprocess.CompletedProcess[str]:
    program = tmp_path / "program.py"
    program.write_text(PROGRAM.replace("{ending}", ending), encoding="utf-8")
    return subprocess.run([sys.executable, str(program), str(tmp_path)], cwd=REPO, capture_output=True,
                          text=True, timeout=120, check=False)


def test_after_main_returns_all_with_an_effect_happens_and_the_teardown_does_not(tmp_path: Path) -> None:
    finished = _run(tmp_path, "return 3")
    assert finished.returncode == 3, finished.stderr
    assert finished.stdout == "the last line, not flushed"
    assert (tmp_path / "thread").read_text() == "finished"  # waited for
    assert (tmp_path / "exit_handler").read_text() == "ran"
    assert not Path((tmp_path / "folder").read_text()).exists()  # the temporary folder's finaliser ran
    assert "logged line" in (tmp_path / "log").read_text()
    assert not (tmp_path / "teardown").exists()  # objects were not freed one by one


def test_an_exception_leaves_the_usual_way(tmp_path: Path) -> None:
    finished = _run(tmp_path, "raise ValueError('broken delivery')")
    assert finished.returncode == 1
    assert "ValueError: broken delivery" in finished.stderr
    assert finished.stdout == "the last line, not flushed"
    assert (tmp_path / "exit_handler").read_text() == "ran"
    assert (tmp_path / "teardown").read_text() == "freed at teardown"


def test_the_installed_command_is_the_entry_point() -> None:
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert scripts["edusandbox"] == "pipelines.cli:entry"
    command = Path(sys.executable).with_name("edusandbox")
    assert "from pipelines.cli import entry" in command.read_text(encoding="utf-8")
