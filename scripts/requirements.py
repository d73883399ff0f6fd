"""Print the requirements of one dependency group of pyproject.toml, one per
line, for ``pip install -r``: both environments come from the one file."""

import sys
from pathlib import Path

import tomllib

project = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())["project"]
for requirement in project["dependencies"] + project["optional-dependencies"][sys.argv[1]]:
    print(requirement)
