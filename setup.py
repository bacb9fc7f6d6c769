"""Build script for pyrtc's native extensions.

Every ``native/<name>.pyx`` becomes the extension module ``pyrtc._native.<name>``.
A module that needs OpenSSL's libcrypto says so in its own header with
``# distutils: libraries = crypto`` so this file never has to list modules by hand.
Metadata lives in ``pyproject.toml``.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent
NATIVE = ROOT / "native"

PREFLIGHT_PROBES = {
    "Python.h": "a C compiler and the Python development headers "
    "(Debian: apt-get install gcc python3-dev)",
    "openssl/evp.h": "the OpenSSL development headers (Debian: apt-get install libssl-dev)",
}


class PreflightBuildExt(build_ext):
    """build_ext that checks the toolchain first and fails with a clear message."""

    def build_extensions(self) -> None:
        self._preflight()
        super().build_extensions()

    def _preflight(self) -> None:
        import sysconfig

        from setuptools._distutils.errors import CompileError, DistutilsExecError

        include_dirs = [sysconfig.get_paths()["include"], *self.include_dirs]
        with tempfile.TemporaryDirectory() as tmp:
            for header, what in PREFLIGHT_PROBES.items():
                source = Path(tmp) / "probe.c"
                source.write_text(f"#include <{header}>\nint main(void) {{ return 0; }}\n")
                try:
                    self.compiler.compile(
                        [str(source)], output_dir=tmp, include_dirs=include_dirs
                    )
                except (CompileError, DistutilsExecError) as exc:
                    sys.exit(
                        f"\npyrtc: cannot build the native extensions: <{header}> did not "
                        f"compile.\npyrtc needs {what}.\n(compiler said: {exc})\n"
                    )


def native_extensions() -> list[Extension]:
    from Cython.Build import cythonize

    sources = sorted(NATIVE.glob("*.pyx"))
    extensions = [
        Extension(
            f"pyrtc._native.{source.stem}",
            [os.path.relpath(source, ROOT)],
            extra_compile_args=["-O3"],
        )
        for source in sources
    ]
    return cythonize(
        extensions,
        language_level=3,
        include_path=[str(NATIVE), str(ROOT)],  # ROOT: pyrtc/_native/*.pxd
        compiler_directives={"embedsignature": True},
        quiet=True,
    )


setup(ext_modules=native_extensions(), cmdclass={"build_ext": PreflightBuildExt})
