# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""The README's complete examples run as written."""

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
# Blocks that import what they use are complete programs; the others are fragments.
PROGRAMS = [block for block in BLOCKS if block.lstrip().startswith("import")]


def test_readme_has_a_complete_example():
    assert PROGRAMS


@pytest.mark.parametrize("code", PROGRAMS)
def test_readme_example_runs(code):
    namespace = {}
    exec(compile(code, str(README), "exec"), namespace)
    assert namespace["mask"].sum() == 30
