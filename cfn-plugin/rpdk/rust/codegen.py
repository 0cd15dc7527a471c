"""The `rust` language for the CloudFormation CLI (`cfn`).

`cfn generate` writes the docs and the resource role itself; this plugin adds nothing generated
to a Rust project because the model is hand-written and checked against the schema by the
project's own tests. `cfn submit` (and `--dry-run`) calls `package`, which builds the `bootstrap`
binary with cargo lambda for the runtime and architecture in `.rpdk-config` and puts it in the
registration package as `ResourceProvider.zip`, the handler archive CloudFormation deploys.
"""
import logging
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

from rpdk.core.exceptions import DownstreamError, InternalError
from rpdk.core.plugin_base import LanguagePlugin

from . import __version__

LOG = logging.getLogger(__name__)

RUNTIMES = ("provided.al2023", "provided.al2")
ARCHITECTURES = {"x86_64": "x86_64-unknown-linux-gnu", "arm64": "aarch64-unknown-linux-gnu"}
# Linked (through zig) against glibc 2.26, the oldest of the two runtimes (provided.al2; al2023
# has 2.34), so one binary runs on both. Without the suffix the host's glibc sets the floor.
GLIBC_FLOOR = "2.26"
HANDLER_ZIP = "ResourceProvider.zip"
EXECUTABLE = "bootstrap"


class RustLanguagePlugin(LanguagePlugin):
    MODULE_NAME = __name__
    NAME = "rust"

    def init(self, project):
        """Fills the settings of a new project; the Rust sources are this repository's."""
        project.runtime = RUNTIMES[0]
        project.entrypoint = EXECUTABLE
        project.test_entrypoint = EXECUTABLE
        project.settings.setdefault("protocolVersion", "2.0.0")
        project.settings.setdefault("architecture", "x86_64")
        project.settings.setdefault("binary", EXECUTABLE)

    def generate(self, project):
        cargo = (project.root / project.settings.get("cargoRoot", ".")).resolve() / "Cargo.toml"
        if not cargo.is_file():
            raise InternalError(f"{cargo} not found: a Rust project needs its Cargo.toml at the project root")
        LOG.warning(
            "Rust model is hand-written; `cargo test` checks it against %s",
            project.schema_path.name,
        )

    def _settings(self, project):
        runtime = project.runtime
        if runtime not in RUNTIMES:
            raise InternalError(f"runtime {runtime!r} in .rpdk-config is not one of {', '.join(RUNTIMES)}")
        arch = project.settings.get("architecture", "x86_64")
        if arch not in ARCHITECTURES:
            raise InternalError(f"settings.architecture {arch!r} is not one of {', '.join(ARCHITECTURES)}")
        return arch, project.settings.get("binary", EXECUTABLE)

    def build(self, project):
        """Builds the release binary with cargo lambda; returns its path."""
        arch, binary = self._settings(project)
        cargo_lambda = shutil.which("cargo-lambda")
        if not cargo_lambda:
            raise DownstreamError("cargo-lambda not found on PATH: run scripts/setup, then use .venv/bin on PATH")
        target_triple = f"{ARCHITECTURES[arch]}.{GLIBC_FLOOR}"
        # No default features: the local driver and its Lambda SDK stay out of the build.
        command = [cargo_lambda, "lambda", "build", "--release", "--no-default-features", "--bin", binary,
                   "--target", target_triple]
        # The crate may live elsewhere than the cfn project (a project renamed for registration).
        cargo_root = (project.root / project.settings.get("cargoRoot", ".")).resolve()
        LOG.warning("Building %s for %s in %s: %s", binary, arch, cargo_root, " ".join(command[1:]))
        try:
            subprocess.run(command, cwd=cargo_root, check=True, env=os.environ.copy())
        except (OSError, subprocess.CalledProcessError) as e:
            raise DownstreamError(f"cargo lambda build failed: {e}") from e
        target = Path(os.environ.get("CARGO_TARGET_DIR", cargo_root / "target"))
        built = target / "lambda" / binary / "bootstrap"
        if not built.is_file():
            raise DownstreamError(f"cargo lambda did not produce {built}")
        return built

    def package(self, project, zip_file):
        built = self.build(project)
        handler_zip = project.root / "build" / HANDLER_ZIP
        handler_zip.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(handler_zip, "w", compression=zipfile.ZIP_DEFLATED) as handler:
            # provided.* runtimes run the file named bootstrap; it must be executable.
            info = zipfile.ZipInfo(EXECUTABLE)
            info.external_attr = 0o755 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            handler.writestr(info, built.read_bytes())
        zip_file.write(handler_zip, HANDLER_ZIP)
        LOG.warning("Packaged %s (%d bytes) as %s", built, built.stat().st_size, HANDLER_ZIP)

    def get_plugin_information(self, project):
        arch, _ = self._settings(project)
        return {"plugin-tool-version": __version__, "plugin-name": self.NAME, "architecture": arch}
