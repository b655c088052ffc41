"""Before the tests (`python3 run.py test` runs every scripts/setup_test_*.py): make sure the
browser tests have Debian's Chromium and a font.

When Chromium is missing and this runs as root, it installs `chromium` and `fonts-dejavu-core` with
apt-get. It never uses Playwright's own browser download. Without Chromium the browser tests are
skipped on a developer's machine and fail under CI (CI=true), so this script only warns: the
rest of the suite still runs.
"""
import os
import shutil
import subprocess
import sys

PACKAGES = ["chromium", "fonts-dejavu-core"]


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def installed(package: str) -> bool:
    if shutil.which("dpkg-query") is None:
        return True  # not Debian: nothing to install here
    found = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True)
    return found.returncode == 0 and "install ok installed" in found.stdout


def apt_install(missing: list[str], *, script: str, without: str) -> bool:
    """Install Debian packages quietly when root with apt-get; else (or if it fails) say what to
    run and what happens `without` them. True when installed."""
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        print(f"{script}: {', '.join(missing)} not installed and cannot install it here (needs root and apt-get): "
              f"`sudo apt-get install {' '.join(missing)}`. {without}", file=sys.stderr)
        return False
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    print(f"{script}: apt-get install {' '.join(missing)}", flush=True)
    for command in (["apt-get", "update", "-qq"],
                    ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing]):
        done = subprocess.run(command, env=env, stdout=subprocess.DEVNULL)
        if done.returncode != 0:
            print(f"{script}: `{' '.join(command)}` failed ({done.returncode}). {without}", file=sys.stderr)
            return False
    return True


def main() -> int:
    missing = [p for p in PACKAGES if (p == "chromium" and chromium() is None) or
               (p != "chromium" and not installed(p))]
    if not missing:
        return 0
    if apt_install(missing, script="setup_test_browser",
                   without="The browser tests will be skipped (and fail under CI).") and chromium() is None:
        print("setup_test_browser: chromium is still not on PATH.", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
