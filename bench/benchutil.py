"""What both benchmarks report about the run: the commit measured and how busy the machine was."""
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def machine_busy() -> float:
    """CPU seconds all processes have used so far, all cores together (/proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return (sum(values) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")  # less idle and iowait


def git_state() -> str:
    """The commit measured, and whether the Python code had uncommitted changes."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "app/*.py", "migrations", "config.py", "wsgi.py"],
                               cwd=ROOT, capture_output=True, text=True).stdout.strip()
        return f"commit {head}" + (f", with uncommitted Python changes in {len(dirty.splitlines())} file(s)"
                                   if dirty else "")
    except OSError:
        return "commit unknown"
