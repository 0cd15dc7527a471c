"""Builds the registration package with `cfn submit --dry-run` into build/.

    .venv/bin/python scripts/package.py [TYPE_NAME] [--architecture x86_64|arm64]

The AWS namespace is reserved, so a private registration needs another name, for example
Acme::Organizations::Account. The handler accepts any type name; only the package changes: this
script writes a copy of the cfn project (settings, schema, inputs) under build/ with the new
name, pointing back at this crate (settings.cargoRoot), runs `cfn generate` there (so that its
resource-role.yaml trusts CloudFormation for this type, not AWS-Organizations-Account), and
packages that. The role template is copied beside the package as build/<type>-role.yaml.
"""
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = "AWS::Organizations::Account"


def slug(type_name):
    return "-".join(part.lower() for part in type_name.split("::"))


def main():
    args = sys.argv[1:]
    architecture = None
    if "--architecture" in args:
        i = args.index("--architecture")
        if i + 1 >= len(args):
            sys.exit("--architecture needs x86_64 or arm64")
        architecture = args[i + 1]
        del args[i : i + 2]
    type_name = args[0] if args else DEFAULT
    if not re.fullmatch(r"[A-Za-z0-9]{2,64}::[A-Za-z0-9]{2,64}::[A-Za-z0-9]{2,64}", type_name):
        sys.exit(f"{type_name!r} is not a type name like Acme::Organizations::Account")
    build = ROOT / "build"
    project = build / f"cfn-project-{slug(type_name)}-{architecture or 'default'}"
    shutil.rmtree(project, ignore_errors=True)
    project.mkdir(parents=True)
    settings = json.loads((ROOT / ".rpdk-config").read_text())
    settings["typeName"] = type_name
    settings["settings"]["cargoRoot"] = os.path.relpath(ROOT, project)
    if architecture:
        settings["settings"]["architecture"] = architecture
    (project / ".rpdk-config").write_text(json.dumps(settings, indent=4) + "\n")
    schema = json.loads((ROOT / "schema" / "aws-organizations-account.json").read_text())
    schema["typeName"] = type_name
    (project / f"{slug(type_name)}.json").write_text(json.dumps(schema, indent=2) + "\n")
    shutil.copytree(ROOT / "inputs", project / "inputs")
    env = dict(os.environ, PATH=f"{ROOT / '.venv' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}")
    # The execution role `cfn submit` creates comes from the project's resource-role.yaml, whose
    # trust condition names the type: generate it for this name.
    subprocess.run(["cfn", "generate"], cwd=project, check=True, env=env, stdout=subprocess.DEVNULL)
    shutil.copy(project / "resource-role.yaml", build / f"{slug(type_name)}-role.yaml")
    subprocess.run(["cfn", "submit", "--dry-run"], cwd=project, check=True, env=env)
    arch = settings["settings"].get("architecture", "x86_64")
    package = build / f"{slug(type_name)}-{arch}.zip"
    shutil.move(project / f"{slug(type_name)}.zip", package)
    print(package)


if __name__ == "__main__":
    main()
