"""Checks that `npm run package` left complete packages in dist/ (run by it, last).

- dist/js: the npm tarball, with the compiled construct, the jsii assembly and its tablet, each pre-bundled handler
  with its third-party notices, and no install-time script.
- dist/python: the wheel and the sdist. The wheel holds the module and, as its jsii assembly tarball, the very npm
  tarball above; its METADATA names this version and requires aws-cdk-lib and constructs in the ranges of
  package.json's peer dependencies, the jsii runtime of the jsii-pacmak that generated it, and publication.
- dist/java, dist/dotnet, dist/go: the generated sources, under the names that package.json's jsii targets give, each
  with the same jsii assembly tarball.

Only the standard library: it runs with any Python 3.
"""

import email.parser
import io
import json
import re
import sys
import tarfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "dist"
PACKAGE = json.loads((ROOT / "package.json").read_text())
NAME, VERSION, TARGETS = PACKAGE["name"], PACKAGE["version"], PACKAGE["jsii"]["targets"]
HANDLERS = ["bucket-access-key-handler", "rotation-handler"]
NOTICES = "THIRD-PARTY-NOTICES.txt"

problems = []


def check(condition, problem):
    if not condition:
        problems.append(problem)
    return condition


def one(directory, pattern):
    found = sorted(directory.glob(pattern))
    check(len(found) == 1, f"{directory.relative_to(ROOT)}: expected one {pattern}, found {[f.name for f in found]}")
    return found[0] if found else None


def caret_range(spec):
    """An npm caret range (^M.m.p, M > 0) as the Python specifiers jsii-pacmak writes for it."""
    match = re.fullmatch(r"\^(\d+)\.(\d+)\.(\d+)", spec)
    if not match or match[1] == "0":
        raise SystemExit(f"check-dist.py: cannot translate the peer range {spec!r}; extend caret_range()")
    return {f">={match[1]}.{match[2]}.{match[3]}", f"<{int(match[1]) + 1}.0.0"}


def requirements(metadata):
    """Requires-Dist as {name: set of specifiers}, in either form setuptools writes: `n (<2,>=1)` or `n<2,>=1`."""
    out = {}
    for line in metadata.get_all("Requires-Dist") or []:
        match = re.fullmatch(r"\s*([A-Za-z0-9._-]+)\s*\(?([^;)]*)\)?\s*", line)
        if check(match, f"unreadable Requires-Dist: {line!r}"):
            out[match[1]] = {s.replace(" ", "") for s in match[2].split(",") if s.strip()}
    return out


def check_npm_tarball(data, where):
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        names = set(tar.getnames())
        expected = ["package/package.json", "package/.jsii", "package/.jsii.tabl.json", "package/lib/index.js"]
        expected += [f"package/assets/{h}/{f}" for h in HANDLERS for f in ("index.js", NOTICES)]
        for name in expected:
            check(name in names, f"{where}: {name} is missing")
        if "package/package.json" in names:
            manifest = json.load(tar.extractfile("package/package.json"))
            check(manifest.get("version") == VERSION, f"{where}: package.json version {manifest.get('version')}")
            scripts = set(manifest.get("scripts", {})) & {"preinstall", "install", "postinstall", "prepare"}
            check(not scripts, f"{where}: install-time scripts {sorted(scripts)}")
        for handler in HANDLERS:
            name = f"package/assets/{handler}/{NOTICES}"
            if name in names:
                notices = tar.extractfile(name).read().decode()
                check("@aws-sdk/client-lightsail@" in notices, f"{where}: {name} does not name the Lightsail client")
                check("Apache License" in notices, f"{where}: {name} carries no license text")


def check_js():
    tarball = one(DIST / "js", "*.tgz")
    if tarball:
        check(tarball.name == f"{NAME}@{VERSION}.jsii.tgz", f"dist/js: unexpected tarball name {tarball.name}")
        check_npm_tarball(tarball.read_bytes(), f"dist/js/{tarball.name}")
    return tarball.read_bytes() if tarball else None


def check_python(npm_tarball):
    python = TARGETS["python"]
    module, dist_name = python["module"], python["distName"]
    wheel = one(DIST / "python", f"{module}-{VERSION}-py3-none-any.whl")
    sdist = one(DIST / "python", f"*-{VERSION}.tar.gz")
    if wheel:
        with zipfile.ZipFile(wheel) as whl:
            names = set(whl.namelist())
            assembly = f"{module}/_jsii/{NAME}@{VERSION}.jsii.tgz"
            for name in [f"{module}/__init__.py", f"{module}/py.typed", f"{module}/_jsii/__init__.py", assembly]:
                check(name in names, f"{wheel.name}: {name} is missing")
            if f"{module}/__init__.py" in names:
                code = whl.read(f"{module}/__init__.py").decode()
                check("class BucketAccessKey(" in code, f"{wheel.name}: the module has no BucketAccessKey class")
            if f"{module}/_jsii/__init__.py" in names:
                loader = whl.read(f"{module}/_jsii/__init__.py").decode()
                check(f"{NAME}@{VERSION}.jsii.tgz" in loader, f"{wheel.name}: _jsii does not load the assembly")
            if assembly in names:
                data = whl.read(assembly)
                check_npm_tarball(data, f"{wheel.name}: {assembly}")
                check(data == npm_tarball, f"{wheel.name}: the assembly tarball is not dist/js's npm tarball")
            info = f"{module}-{VERSION}.dist-info/METADATA"
            if check(info in names, f"{wheel.name}: {info} is missing"):
                metadata = email.parser.Parser().parsestr(whl.read(info).decode())
                check(metadata["Name"] == dist_name, f"{wheel.name}: METADATA Name {metadata['Name']}")
                check(metadata["Version"] == VERSION, f"{wheel.name}: METADATA Version {metadata['Version']}")
                required = requirements(metadata)
                pacmak = json.loads((ROOT / "node_modules/jsii-pacmak/package.json").read_text())["version"]
                expected = {
                    "aws-cdk-lib": caret_range(PACKAGE["peerDependencies"]["aws-cdk-lib"]),
                    "constructs": caret_range(PACKAGE["peerDependencies"]["constructs"]),
                    "jsii": {f">={pacmak}", "<2.0.0"},
                    "publication": {">=0.0.3"},
                }
                for dependency, specifiers in expected.items():
                    check(
                        required.get(dependency) == specifiers,
                        f"{wheel.name}: requires {dependency} {sorted(required.get(dependency, []))}, "
                        f"expected {sorted(specifiers)}",
                    )
    if sdist:
        with tarfile.open(sdist) as tar:
            names = tar.getnames()
            top = names[0].split("/")[0]
            for name in ["PKG-INFO", "setup.py", f"src/{module}/_jsii/{NAME}@{VERSION}.jsii.tgz"]:
                check(f"{top}/{name}" in names, f"{sdist.name}: {name} is missing")
            if f"{top}/PKG-INFO" in names:
                info = email.parser.Parser().parsestr(tar.extractfile(f"{top}/PKG-INFO").read().decode())
                check(info["Version"] == VERSION, f"{sdist.name}: PKG-INFO Version {info['Version']}")


def check_sources(npm_tarball):
    java = TARGETS["java"]
    package_path = java["package"].replace(".", "/")
    pom = DIST / "java/pom.xml"
    if check(pom.exists(), "dist/java/pom.xml is missing"):
        text = pom.read_text()
        for tag, value in [("groupId", java["maven"]["groupId"]), ("artifactId", java["maven"]["artifactId"])]:
            check(f"<{tag}>{value}</{tag}>" in text, f"dist/java/pom.xml: no <{tag}>{value}</{tag}>")
        check(f"<version>{VERSION}</version>" in text, f"dist/java/pom.xml: no <version>{VERSION}</version>")
    check((DIST / f"java/src/main/java/{package_path}/BucketAccessKey.java").exists(), "Java: BucketAccessKey.java")
    resource = DIST / f"java/src/main/resources/{package_path}/{NAME}@{VERSION}.jsii.tgz"
    check(resource.exists() and resource.read_bytes() == npm_tarball, "Java: the jsii assembly tarball")

    dotnet = TARGETS["dotnet"]
    project = DIST / f"dotnet/{dotnet['packageId']}"
    csproj = project / f"{dotnet['packageId']}.csproj"
    if check(csproj.exists(), f"dist/dotnet: {csproj.name} is missing"):
        check(f"<PackageVersion>{VERSION}</PackageVersion>" in csproj.read_text(), f"{csproj.name}: version")
    namespace = dotnet["namespace"].replace(".", "/")
    check((project / f"{namespace}/BucketAccessKey.cs").exists(), ".NET: BucketAccessKey.cs is missing")
    assembly = project / f"{NAME}-{VERSION}.tgz"
    check(assembly.exists() and assembly.read_bytes() == npm_tarball, ".NET: the jsii assembly tarball")

    go = TARGETS["go"]
    modules = [p.parent for p in (DIST / "go").glob("*/go.mod")]
    if check(len(modules) == 1, f"dist/go: expected one module, found {modules}"):
        module = modules[0]
        first = (module / "go.mod").read_text().splitlines()[0]
        check(first == f"module {go['moduleName']}/{module.name}", f"dist/go: {first}")
        check((module / "version").read_text().strip() == VERSION, "dist/go: version file")
        check((module / "BucketAccessKey.go").exists(), "Go: BucketAccessKey.go is missing")
        assembly = module / f"jsii/{NAME}-{VERSION}.tgz"
        check(assembly.exists() and assembly.read_bytes() == npm_tarball, "Go: the jsii assembly tarball")


npm_tarball = check_js()
check_python(npm_tarball)
check_sources(npm_tarball)
if problems:
    print("dist/ is incomplete:\n  " + "\n  ".join(problems), file=sys.stderr)
    sys.exit(1)
print(f"dist/ complete: npm tarball, Python wheel and sdist, Java, .NET and Go sources of {NAME} {VERSION}")
