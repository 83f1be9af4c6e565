"""Every shell block of the README runs, in order, in a scratch copy of the project.

How a README block is treated (keep it this simple when you add a section):

- A fenced block tagged ``sh``, ``bash`` or ``shell`` is run; any other tag (``yaml``, ``text``,
  ``console``) or none is not.
- A runnable block preceded by an HTML comment line ``<!-- readme-test: skip, <why> -->`` is not
  run; say why, and test its commands elsewhere (``make test`` is one: it runs this test).
- Each block runs with ``bash -e`` in its own subshell, from the scratch project's root, with
  ``.venv/bin`` first on ``PATH``; a failing command fails the test. Blocks run in README order,
  so a block may use what an earlier one made (the demo's DuckDB files).
- Secrets come from the environment: a line ``export TAP_ATS_<SETTING>=...`` (literally three
  dots, the user's secret) gets the sandbox's value of that setting, for the provider last chosen
  by ``meltano config set tap-ats provider <p>`` (Kombo before any). After that line, the
  sandbox's endpoint and pace are exported too (``api_url``, ``token_url``,
  ``max_requests_per_minute``), as a user's real API needs none of them.

The scratch copy has the project's files, its own ``.meltano`` system database (so state and
``meltano config set`` stay there) and links to the installed ``.venv`` and plugin venvs.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import duckdb
from conftest import SandboxClient

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
RUNNABLE = {"sh", "bash", "shell"}
SKIP = re.compile(r"^<!--\s*readme-test:\s*skip\b")
PLACEHOLDER = re.compile(r"^export (TAP_ATS_([A-Z0-9_]+))=\.\.\.(\s+#.*)?$")
PROVIDER_SET = re.compile(r"\bmeltano config set tap-ats provider (\w+)")
SANDBOX_ONLY = ("api_url", "token_url", "max_requests_per_minute")
NOT_COPIED = shutil.ignore_patterns(".git", ".venv", ".meltano", "output", "build", "dist",
                                    "__pycache__", ".pytest_cache", ".ruff_cache", "*.duckdb*",
                                    "target", "dbt_packages", "logs")


def readme_blocks(text: str) -> list[dict[str, Any]]:
    """Fenced blocks: language, body lines, first line number, heading, and whether skipped."""
    blocks, lines, i, heading = [], text.splitlines(), 0, ""
    while i < len(lines):
        line = lines[i]
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
        if line.startswith("```"):
            start, language = i, line[3:].strip()
            i += 1
            while not lines[i].startswith("```"):
                i += 1
            previous = next((p for p in reversed(lines[:start]) if p.strip()), "")
            blocks.append({"language": language, "lines": lines[start + 1:i],
                           "line": start + 1, "heading": heading,
                           "skip": bool(SKIP.match(previous.strip()))})
        i += 1
    return blocks


def runnable_blocks(text: str) -> list[dict[str, Any]]:
    """The blocks this test runs."""
    return [b for b in readme_blocks(text) if b["language"] in RUNNABLE and not b["skip"]]


def with_sandbox_secrets(lines: list[str], sandbox: SandboxClient,
                         provider: str = "kombo") -> tuple[list[str], str]:
    """The block's lines with placeholders filled from the sandbox, and the provider at the end."""
    out = []
    for line in lines:
        placeholder = PLACEHOLDER.match(line.strip())
        config = sandbox.config(provider)
        if placeholder:
            value = config[placeholder[2].lower()]
            text = value if isinstance(value, str) else json.dumps(value)
            out.append(f"export {placeholder[1]}={shlex.quote(text)}")
        else:
            out.append(line)
            chosen = PROVIDER_SET.search(line)
            if not chosen:
                continue
            provider = chosen[1]
            config = sandbox.config(provider)
        out += [f"export TAP_ATS_{key.upper()}={shlex.quote(str(config[key]))}"
                for key in SANDBOX_ONLY if key in config]
    return out, provider


def scratch_project(path: Path) -> Path:
    """A copy of the project at ``path`` that shares the installed venvs, not the state."""
    shutil.copytree(ROOT, path, ignore=NOT_COPIED)
    (path / ".venv").symlink_to(ROOT / ".venv")
    (path / ".meltano").mkdir()
    for kind in ("extractors", "loaders", "utilities", "transformers", "orchestrators",
                 "mappers"):
        if (ROOT / ".meltano" / kind).is_dir():
            (path / ".meltano" / kind).symlink_to(ROOT / ".meltano" / kind)
    (path / ".meltano" / ".installed").touch()
    return path


def shell_env(project: Path) -> dict[str, str]:
    """The user's environment: no tap settings, the project's venv first on PATH."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TAP_ATS_", "TARGET_", "MELTANO_"))}
    env["PATH"] = f"{project / '.venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["MELTANO_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    return env


def run_block(lines: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """One block in ``bash -e``, output captured."""
    return subprocess.run(["bash", "-e", "-c", "\n".join(lines)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600, check=False)


def test_readme_blocks_are_found_and_marked():
    """The parser sees the blocks a reader sees: guards the runner against a silent no-op."""
    blocks = readme_blocks(README.read_text())
    runnable = runnable_blocks(README.read_text())
    assert any("make demo" in "\n".join(b["lines"]) for b in runnable)
    assert any("meltano run tap-ats target-duckdb" in "\n".join(b["lines"]) for b in runnable)
    skipped = [b for b in blocks if b["skip"]]
    assert any("make test" in "\n".join(b["lines"]) for b in skipped)
    assert all(b["language"] in RUNNABLE for b in skipped), "skip marks a block that never runs"
    assert not [line for b in blocks for line in b["lines"] if "meltano config tap-ats" in line
                or "meltano elt " in line], "Meltano 2 syntax in the README"


def test_every_readme_command_runs(tmp_path, sandbox):
    project = scratch_project(tmp_path / "project")
    env = shell_env(project)
    provider = "kombo"
    for block in runnable_blocks(README.read_text()):
        lines, provider = with_sandbox_secrets(block["lines"], sandbox, provider)
        result = run_block(lines, project, env)
        assert result.returncode == 0, (f"README line {block['line']} ({block['heading']}) "
                                        f"failed:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}")
    # The "use it for real" block loaded one Kombo integration into the project's warehouse.
    truth = sandbox.truth("kombo")["applications"]["ids"]
    expected = {tuple(k) for k in truth if k[0] == "personio:8d1hHv8Dqs5sjPsW"}
    with duckdb.connect(str(project / "output" / "warehouse.duckdb"), read_only=True) as con:
        got = set(con.execute("select account_id, id from tap_ats.applications").fetchall())
    assert expected and got == expected
