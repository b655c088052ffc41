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


def main() -> int:
    missing = [p for p in PACKAGES if (p == "chromium" and chromium() is None) or
               (p != "chromium" and not installed(p))]
    if not missing:
        return 0
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        print(f"setup_test_browser: {', '.join(missing)} not installed and cannot install it here "
              f"(needs root and apt-get): `sudo apt-get install {' '.join(PACKAGES)}`. The browser tests will be "
              f"skipped (and fail under CI).", file=sys.stderr)
        return 0
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    print(f"setup_test_browser: apt-get install {' '.join(missing)}", flush=True)
    for command in (["apt-get", "update", "-q"],
                    ["apt-get", "install", "-y", "-q", *missing]):
        done = subprocess.run(command, env=env)
        if done.returncode != 0:
            print(f"setup_test_browser: `{' '.join(command)}` failed ({done.returncode}); the browser tests will "
                  f"be skipped (and fail under CI).", file=sys.stderr)
            return 0
    if chromium() is None:
        print("setup_test_browser: chromium is still not on PATH.", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
