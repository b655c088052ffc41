"""Before the tests (`python3 run.py test` runs every scripts/setup_test_*.py): make sure the
tagged committee paper can be made, so its tests run: WeasyPrint needs Debian's Pango and a font.

When they are missing and this runs as root (as in CI), it installs them with apt-get, quietly;
when they are there, it does nothing. Without them the tagged-paper tests are skipped on a
developer's machine and fail under CI (CI=true), and the application writes ReportLab's
untagged paper; so this script only warns.
"""
import sys

from setup_test_browser import apt_install, installed

PACKAGES = ["libpango-1.0-0", "libpangoft2-1.0-0", "fonts-liberation"]


def main() -> int:
    missing = [p for p in PACKAGES if not installed(p)]
    if missing:
        apt_install(missing, script="setup_test_pdf",
                    without="The committee paper will be untagged; its tagged-paper tests will be skipped "
                            "(and fail under CI).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
