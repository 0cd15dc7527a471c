"""Checks a registration package: its handler archive holds an executable `bootstrap` for the
package's architecture, linked against glibc no newer than provided.al2's 2.26; where that
architecture is this machine's, the binary must start under the Lambda runtime API emulator and
answer a request with a ProgressEvent. The execution role written beside it (build/<type>-role.yaml)
must trust CloudFormation for this type only, and allow exactly the schema's handler permissions.

    .venv/bin/python scripts/package_check.py build/acme-organizations-account-x86_64.zip
"""
import json
import os
import platform
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from emulator import ROOT, free_port, function_env, invoke, start_emulator

ELF_MACHINES = {62: "x86_64", 183: "arm64"}
QEMU = {"arm64": ("qemu-aarch64", "/usr/aarch64-linux-gnu"), "x86_64": ("qemu-x86_64", "/usr/x86_64-linux-gnu")}
MACHINE = {"x86_64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}.get(platform.machine())


def elf_architecture(data):
    assert data[:4] == b"\x7fELF", "bootstrap is not an ELF executable"
    machine = int.from_bytes(data[18:20], "little")
    return ELF_MACHINES.get(machine, f"machine {machine}")


def glibc_floor(data):
    versions = {tuple(int(p) for p in v.split(b".")) for v in re.findall(rb"GLIBC_(\d+\.\d+(?:\.\d+)?)", data)}
    return max(versions) if versions else (0, 0)




def check_role(package, schema):
    type_name = schema["typeName"]
    role = package.parent / ("-".join(p.lower() for p in type_name.split("::")) + "-role.yaml")
    assert role.is_file(), f"{role} missing: scripts/package.py writes it"
    text = role.read_text()
    own = f"type/resource/{type_name.replace('::', '-')}/*"
    assert own in text, f"{role} does not trust CloudFormation for {own}"
    others = set(re.findall(r"type/resource/([A-Za-z0-9-]+)/", text)) - {type_name.replace("::", "-")}
    assert not others, f"{role} trusts other types too: {others}"
    allowed = set(re.findall(r'"([a-z0-9-]+:[A-Za-z]+)"', text))
    wanted = {p for h in schema["handlers"].values() for p in h["permissions"]}
    assert allowed == wanted, f"{role} allows {sorted(allowed ^ wanted)} unlike the schema"


def main():
    package = Path(sys.argv[1])
    with zipfile.ZipFile(package) as outer:
        names = set(outer.namelist())
        for required in ("schema.json", ".rpdk-config", "ResourceProvider.zip"):
            assert required in names, f"{package} lacks {required}: {sorted(names)}"
        schema = json.loads(outer.read("schema.json"))
        settings = json.loads(outer.read(".rpdk-config"))
        work = Path(tempfile.mkdtemp())
        inner = work / "ResourceProvider.zip"
        inner.write_bytes(outer.read("ResourceProvider.zip"))
    with zipfile.ZipFile(inner) as handler:
        info = handler.getinfo("bootstrap")
        assert (info.external_attr >> 16) & stat.S_IXUSR, "bootstrap is not executable in the archive"
        handler.extract("bootstrap", work)
    check_role(package, schema)
    binary = work / "bootstrap"
    binary.chmod(0o755)
    data = binary.read_bytes()
    arch = settings["settings"].get("architecture", "x86_64")
    assert elf_architecture(data) == arch, f"bootstrap is {elf_architecture(data)}, the package says {arch}"
    floor = glibc_floor(data)
    assert floor <= (2, 26), f"bootstrap needs glibc {floor}, newer than provided.al2's 2.26"
    described = f"{package}: {schema['typeName']}, {arch} bootstrap {len(data)} bytes, glibc <= {'.'.join(map(str, floor))}"
    command = [str(binary)]
    if arch != MACHINE:
        # Another architecture runs under qemu user emulation with that architecture's glibc
        # (Debian's qemu-user and libc6-arm64-cross), when the machine has them.
        emulator_binary, sysroot = QEMU.get(arch, (None, None))
        if not (emulator_binary and shutil.which(emulator_binary) and Path(sysroot).is_dir()):
            print(f"{described}; not started: {arch} needs {emulator_binary} and {sysroot} on this {MACHINE} machine")
            return
        command = [emulator_binary, "-L", sysroot, str(binary)]

    port = free_port()
    emulator = start_emulator(port)
    try:
        function = subprocess.Popen(command, env=function_env(os.environ, port), stdout=subprocess.DEVNULL)
        try:
            event = invoke(port, (ROOT / "events" / "09-invalid-email.failed-invalid-request.json").read_bytes())
        finally:
            function.kill()
            function.wait()
    finally:
        emulator.kill()
        emulator.wait()
    assert event.get("status") == "FAILED" and event.get("errorCode") == "InvalidRequest", event
    how = "" if command[0] == str(binary) else f" under {command[0]}"
    print(f"{described}; starts{how} and answers {event['status']} {event['errorCode']}: {event['message']}")


if __name__ == "__main__":
    main()
