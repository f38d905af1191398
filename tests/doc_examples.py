"""Find the shell examples in the guides and run them, in order, the way a reader pastes them."""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
RUN_LANGUAGES = ("sh", "bash", "shell", "console")
FENCE = re.compile(r"^(?P<indent> *)```(?P<lang>[\w-]*)[^\n]*\n(?P<body>.*?)^(?P=indent)```", re.M | re.S)
INLINE_CURL = re.compile(r"(?<!`)`(curl [^`\n]+)`(?!`)")
# Written on the line before a block that a test cannot run, with the reason in brackets.
MARKER = re.compile(r"<!--\s*example:\s*not run\s*\(([^)]+)\)\s*-->\s*$")
# Commands that keep running: started in the background, checked, and stopped.
SERVER = re.compile(r"^(?:plaudit serve\b|gunicorn\b|plaudit scheduler(?!.*--once))")
# Values a command prints that a reader copies into the next one.
CAPTURES = {
    "CLIENT_ID": re.compile(r"^client_id:\s+(\S+)", re.M),
    "CLIENT_SECRET": re.compile(r"^client_secret:\s+(\S+)", re.M),
    "T": re.compile(r'"access_token":\s*"([^"]+)"'),
    "NEW_KEY": re.compile(r"^(k2:\S+)$", re.M),
}
# curl exits 0 on an HTTP error; a reader sees the error, so the test fails on it.
CURL_FAILS_ON_HTTP_ERRORS = 'curl() { command curl --fail-with-body --silent --show-error "$@"; }\n'


@dataclass
class Example:
    doc: str
    line: int
    lang: str
    text: str
    not_run: str | None = None

    @property
    def where(self) -> str:
        return f"{self.doc}:{self.line}"

    def commands(self) -> list[str]:
        """The commands in this example: a console block's `$` lines (with their continuations),
        every logical line of a script, or an inline curl."""
        if self.lang == "inline":
            return [self.text]
        lines = self.text.splitlines()
        if self.lang == "console":
            starts = [i for i, line in enumerate(lines) if line.startswith("$ ")]
            lines = [line.removeprefix("$ ") if i in starts else line for i, line in enumerate(lines)]
        else:
            starts = [i for i, line in enumerate(lines) if line.strip() and not line.lstrip().startswith("#")]
        commands, taken = [], -1
        for start in starts:
            if start <= taken:
                continue
            end = start
            while not _complete("\n".join(lines[start : end + 1])) and end + 1 < len(lines):
                end += 1
            commands.append("\n".join(lines[start : end + 1]))
            taken = end
        return commands


def _complete(command: str) -> bool:
    try:
        shlex.split(command, comments=True)
    except ValueError:
        return False
    return not command.rstrip().endswith("\\")


def examples_in(doc: str, text: str) -> list[Example]:
    """Every shell example of a guide, in reading order, with its not-run marker if it has one."""
    found: list[Example] = []
    lines = text.splitlines()

    def marker_before(line: int) -> str | None:
        for previous in reversed(lines[max(0, line - 3) : line - 1]):
            if previous.strip():
                match = MARKER.search(previous)
                return match.group(1) if match else None
        return None

    prose = text
    for match in FENCE.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        prose = prose.replace(match.group(0), "\n" * match.group(0).count("\n"), 1)
        if match.group("lang") in RUN_LANGUAGES:
            body = "\n".join(part[len(match.group("indent")) :] for part in match.group("body").splitlines())
            found.append(Example(doc, line, match.group("lang"), body, marker_before(line)))
    for match in INLINE_CURL.finditer(prose):
        line = prose.count("\n", 0, match.start()) + 1
        found.append(Example(doc, line, "inline", match.group(1), marker_before(line)))
    return sorted(found, key=lambda example: example.line)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@dataclass
class Shell:
    """A reader's terminal: one folder, the variables they exported, the values they copied."""

    folder: Path
    env: dict[str, str]
    substitutions: list[tuple[str, str]]
    transcript: list[str] = field(default_factory=list)

    def substitute(self, command: str) -> str:
        for written, meant in self.substitutions:
            command = command.replace(written, meant)
        return command

    def run(self, command: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run one command; keep what it exported and what it printed that a reader would copy."""
        state = self.folder / ".example-env"
        script = (
            f"{CURL_FAILS_ON_HTTP_ERRORS}{command}\nrc=$?\nenv -0 > {shlex.quote(str(state))}\nexit $rc\n"
        )
        result = subprocess.run(
            ["bash", "-c", script],
            cwd=self.folder,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if state.exists():
            pairs = (item.split("=", 1) for item in state.read_text().split("\0") if "=" in item)
            self.env = {
                k: v for k, v in pairs if not k.startswith("BASH_FUNC_") and k not in ("_", "SHLVL", "rc")
            }
            state.unlink()
        for name, pattern in CAPTURES.items():
            if match := pattern.search(result.stdout):
                self.env[name] = match.group(1)
        self.transcript.append(f"$ {command}\n{result.stdout}{result.stderr}(exit {result.returncode})")
        return result

    def serve(self, command: str, wait: float = 90) -> str | None:
        """Start a command that keeps running on a free port, see it work, stop it; None if it did."""
        port = free_port()
        command = re.sub(r"\s+#.*$", "", command)  # a trailing comment would swallow the port
        if command.startswith("gunicorn"):
            command += f" --bind 127.0.0.1:{port}"
        elif command.startswith("plaudit serve"):
            command = re.sub(r"--port \d+", f"--port {port}", command)
            if "--port" not in command:
                command += f" --port {port}"
        process = subprocess.Popen(
            ["bash", "-c", f"exec {command}"],
            cwd=self.folder,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + (3 if command.startswith("plaudit scheduler") else wait)
            while time.monotonic() < deadline:
                if process.poll() is not None:
                    break
                if not command.startswith("plaudit scheduler") and healthy(port):
                    return None
                time.sleep(0.3)
            else:
                if command.startswith("plaudit scheduler"):
                    return None
                return f"{command}: /healthz did not answer within {wait:.0f} s"
            return f"{command}: exited with {process.returncode}"
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
            output = process.stdout.read() if process.stdout else ""
            self.transcript.append(f"$ {command} (in the background)\n{output[-3000:]}")


def run_examples(shell: Shell, examples: list[Example]) -> Iterator[str]:
    """Run each example that is not marked, in order; yield a description of each failure."""
    for example in examples:
        if example.not_run:
            continue
        for written in example.commands():
            command = shell.substitute(written)
            if SERVER.match(command):
                failure = shell.serve(command)
                if failure:
                    yield f"{example.where}: {failure}"
                continue
            result = shell.run(command)
            if result.returncode != 0:
                yield (
                    f"{example.where}: `{written}` exited with {result.returncode}\n"
                    f"{result.stdout[-2000:]}{result.stderr[-2000:]}"
                )
                return  # the next examples build on this one
