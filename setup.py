"""Build the compiled matcher (Cython) beside the pure-Python package.

Everything else is declared in pyproject.toml. The extension is optional: if
it cannot be built (no C compiler), or POWERTRACK_NO_EXTENSIONS is set, the
package installs without it and powertrack runs on its pure-Python matcher.
"""

from __future__ import annotations

import os

from setuptools import Extension, setup

# The compiled matcher's modules, in powertrack/index/.
_MODULES = ("_ctext", "_cindex")


def _extensions() -> list[Extension]:
    if os.environ.get("POWERTRACK_NO_EXTENSIONS"):
        return []
    from Cython.Build import cythonize

    extensions = [
        Extension(
            f"powertrack.index.{name}",
            [f"powertrack/index/{name}.pyx"],
            extra_compile_args=["-O2", "-ffp-contract=off"],
            optional=True,
        )
        for name in _MODULES
    ]
    return list(
        cythonize(
            extensions,
            language_level=3,
            compiler_directives={
                "boundscheck": False,
                "wraparound": False,
                "initializedcheck": False,
                "cdivision": True,
                "embedsignature": True,
            },
        )
    )


setup(ext_modules=_extensions())
