"""The pip path (requirements.txt + constraints.txt) and the conda path (environment.yml)
install the very same pins.

requirements.txt is the list of packages the project uses directly, each pinned with ``==``;
environment.yml's pip section must list exactly those pins (plus ``-c constraints.txt`` and
``-e .``), and constraints.txt, the full transitive freeze, must agree with every one of them.
"""

from pathlib import Path
import re

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;#]+)$")


def _canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(lines, source):
    pins = {}
    for raw in lines:
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        match = PIN.match(line)
        assert match, f"{source}: {line!r} is not an exact '==' pin"
        name = _canonical(match.group(1))
        assert name not in pins, f"{source}: {name} is pinned twice"
        pins[name] = match.group(2)
    return pins


def _requirements():
    return _pins((ROOT / "requirements.txt").read_text().splitlines(), "requirements.txt")


def _constraints():
    return _pins((ROOT / "constraints.txt").read_text().splitlines(), "constraints.txt")


def _environment():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = env["dependencies"]
    pip_sections = [d["pip"] for d in deps if isinstance(d, dict) and "pip" in d]
    assert len(pip_sections) == 1, "environment.yml: expected exactly one pip section"
    conda = [d for d in deps if isinstance(d, str)]
    return conda, pip_sections[0]


def test_requirements_and_environment_list_the_same_pins():
    _, pip_section = _environment()
    assert _pins(pip_section, "environment.yml") == _requirements()


def test_environment_installs_cnnlib_with_the_constraints():
    conda, pip_section = _environment()
    assert "python=3.11" in conda
    assert "-e ." in pip_section
    assert "-c constraints.txt" in pip_section


@pytest.mark.parametrize("name", ["torch", "jupyter-book"])
def test_key_pins(name):
    expected = {"torch": "2.13.0", "jupyter-book": "1.0.4.post1"}[name]
    assert _requirements()[name] == expected


def test_constraints_agree_with_requirements():
    constraints = _constraints()
    assert "cnnlib" not in constraints, "constraints.txt must not pin the project itself"
    for name, version in _requirements().items():
        assert constraints.get(name) == version, (
            f"constraints.txt pins {name}=={constraints.get(name)}, "
            f"requirements.txt pins {name}=={version}"
        )
