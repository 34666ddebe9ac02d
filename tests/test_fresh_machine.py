"""The README's test command on a fresh machine: a test that needs a missing Debian program
skips with one line naming it; under CI=true the same test fails."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools import require_tools


def test_missing_program_skips_naming_it_and_fails_in_ci(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing installed
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"^needs espeak-ng, sox \(apt-get install espeak-ng sox\)$"):
        require_tools("espeak-ng", "sox")
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception):
        require_tools("sox")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="needs sox"):
        require_tools("sox")


def test_the_marker_skips_before_fixtures_run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    here = Path(__file__).parent
    pytester.makeconftest(f"import sys\nsys.path.insert(0, {str(here)!r})\n"
                          "import pytest\nfrom tools import check_item, register_marker\n"
                          "def pytest_configure(config):\n    register_marker(config)\n"
                          "@pytest.hookimpl(tryfirst=True)\ndef pytest_runtest_setup(item):\n    check_item(item)\n")
    pytester.makepyfile(test_x="""
import pytest

@pytest.fixture
def speech():
    raise AssertionError("the fixture must not run")

@pytest.mark.tools("no-such-program-akb")
def test_needs_it(speech):
    pass
""")
    monkeypatch.delenv("CI", raising=False)
    res = pytester.runpytest("-rs", "-p", "no:cacheprovider")
    res.assert_outcomes(skipped=1)
    res.stdout.fnmatch_lines(["*needs no-such-program-akb (apt-get install no-such-program-akb)*"])
    monkeypatch.setenv("CI", "true")
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(errors=1)  # a failure of the run
