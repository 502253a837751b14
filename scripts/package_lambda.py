#!/usr/bin/env python3
"""Build the Lambda artifacts template.yaml deploys: one code zip and two dependency layers.

    python scripts/package_lambda.py lock    # requirements/lambda.in -> requirements/lambda.txt
    python scripts/package_lambda.py build   # -> build/lambda/{cinelake,layer-core,layer-lake}.zip

Target: AWS Lambda python3.12 on arm64 (Amazon Linux 2023, glibc 2.34), so wheels are
manylinux <= 2.34 aarch64 for CPython 3.12, binary only (`--only-binary=:all:`), installed with
`--no-deps --require-hashes` from the lock file. boto3/botocore are not shipped: the runtime has
them. The layers split by weight: "core" (pydantic, httpx, Powertools ...) goes to every function,
"lake" (duckdb, pyarrow) to the ingest (imdb-datasets), silver and gold functions.

Zips are reproducible (sorted entries, fixed timestamps), so an unchanged artifact keeps its hash
and `sam deploy` does not upload it again. `build` reuses a layer when its lock lines are unchanged.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCK_IN = ROOT / "requirements" / "lambda.in"
LOCK = ROOT / "requirements" / "lambda.txt"
SRC = ROOT / "src" / "cinelake"
OUT = ROOT / "build" / "lambda"

RUNTIME = "python3.12"
PYTHON_VERSION = "3.12"
ABI = "cp312"
ARCH = "aarch64"  # template.yaml: Architectures [arm64]
GLIBC_MINOR = 34  # Amazon Linux 2023
PLATFORMS = [f"manylinux_2_{m}_{ARCH}" for m in range(GLIBC_MINOR, 16, -1)] + [
    f"manylinux2014_{ARCH}"
]

LAKE = {"duckdb", "pyarrow"}  # and nothing they depend on: both have no runtime dependencies
# The python3.12 runtime's own SDK: never shipped, even when a locked package depends on it
# (aws-xray-sdk requires botocore).
RUNTIME_SDK = {"boto3", "botocore", "s3transfer", "urllib3"}
LAMBDA_LIMIT_BYTES = 250 * 1024 * 1024  # function + layers, unzipped

# Never needed at run time inside Lambda (headers, Cython sources, test suites, scripts).
PRUNE_DIRS = {"__pycache__", "bin", "tests", "include"}
PRUNE_SUFFIXES = (".pyc", ".pyx", ".pxd", ".pxi", ".h", ".hpp", ".cc", ".cpp")
# Arrow Flight (an RPC framework, ~30 MB) and pyarrow's C++ test module: nothing imports them and
# nothing else links them (checked with readelf). tests/aws checks no run imports PRUNED_MODULES.
PRUNE_GLOBS = (
    "pyarrow/flight.py",
    "pyarrow/_flight.*.so",
    "pyarrow/libarrow_flight.so*",
    "pyarrow/libarrow_python_flight.so*",
    "pyarrow/_pyarrow_cpp_tests.*.so",
)
PRUNED_MODULES = ("pyarrow.flight", "pyarrow._flight", "pyarrow._pyarrow_cpp_tests")
FIXED_TIME = (1980, 1, 1, 0, 0, 0)

# The code zip ships what the four handlers run, not the repository's other tools. Paths are
# relative to src/cinelake ("dir/" for a whole folder). tests/aws/test_packaging.py imports every
# handler from the zip without them.
CODE_EXCLUDE = (
    "cli/",  # the command line
    "devtools/",  # the OMDb simulator and synthetic data (tests, benchmarks, demo)
    "aws/",  # template tooling: cfn.py (reads template.yaml), glue_tables.py (writes it)
    "ops/",  # status, doctor, dlq, rebuild, config: CLI commands over a local lake
    "query.py",  # `cinelake query`
    "runtime/emulator.py",  # plays EventBridge/SQS/S3 on one machine; Lambda is the real thing
    "runtime/scheduler.py",  # `cinelake schedule`
    "runtime/locks.py",  # one local process per lake
    "runtime/events.py",  # AWS-shaped events for the local runtime and the tests
)


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pip(*args: str) -> None:
    cmd = [sys.executable, "-m", "pip", "--disable-pip-version-check", *args]
    subprocess.run(cmd, check=True)  # noqa: S603 - fixed executable and arguments


def platform_args() -> list[str]:
    args = [
        "--only-binary=:all:",
        "--python-version",
        PYTHON_VERSION,
        "--implementation",
        "cp",
        "--abi",
        ABI,
    ]
    for p in PLATFORMS:
        args += ["--platform", p]
    return args


# ------------------------------------------------------------------------------------------
# lock
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pin:
    name: str
    version: str
    sha256: str
    wheel: str

    @property
    def layer(self) -> str:
        return "lake" if canonical(self.name) in LAKE else "core"

    def line(self) -> str:
        return f"{canonical(self.name)}=={self.version} \\\n    --hash=sha256:{self.sha256}"


def installed_constraints() -> str:
    """This environment's versions: Lambda should run what the tests ran."""
    pins = {}
    for dist in metadata.distributions():
        name = dist.metadata.get("Name")
        if name and canonical(name) not in ("cinelake", "pip", "setuptools", "wheel"):
            pins[canonical(name)] = dist.version
    return "".join(f"{n}=={v}\n" for n, v in sorted(pins.items()))


def resolve(constrain: bool) -> list[Pin]:
    with tempfile.TemporaryDirectory(prefix="cinelake-lock-") as tmp:
        report = Path(tmp) / "report.json"
        args = [
            "install",
            "--dry-run",
            "--ignore-installed",
            "--quiet",
            "--report",
            str(report),
            "--target",
            str(Path(tmp) / "t"),
            *platform_args(),
            "-r",
            str(LOCK_IN),
        ]
        if constrain:
            constraints = Path(tmp) / "constraints.txt"
            constraints.write_text(installed_constraints())
            args += ["-c", str(constraints)]
        pip(*args)
        data = json.loads(report.read_text())
    pins = []
    for item in data["install"]:
        if canonical(item["metadata"]["name"]) in RUNTIME_SDK:
            continue
        info = item["download_info"]
        hashes = info.get("archive_info", {}).get("hashes", {})
        sha = hashes.get("sha256") or info.get("archive_info", {}).get("hash", "").split("=", 1)[-1]
        pins.append(
            Pin(
                item["metadata"]["name"],
                item["metadata"]["version"],
                sha,
                info["url"].rsplit("/", 1)[-1],
            )
        )
    return sorted(pins, key=lambda p: (p.layer != "core", canonical(p.name)))


def lock(constrain: bool = True) -> None:
    try:
        pins = resolve(constrain)
    except subprocess.CalledProcessError:
        if not constrain:
            raise
        print(
            "lock: this environment's versions have no Lambda wheels; resolving freely",
            file=sys.stderr,
        )
        pins = resolve(False)
    lines = [
        "# Generated by `python scripts/package_lambda.py lock` from requirements/lambda.in: do not",
        f"# edit. CPython {PYTHON_VERSION}, manylinux {ARCH} (AWS Lambda {RUNTIME}, arm64), binary",
        "# wheels only; versions follow the dev environment where it has the package.",
        "# `make package` installs these with --no-deps --require-hashes.",
    ]
    for layer in ("core", "lake"):
        lines.append(f"\n# layer: {layer}")
        lines += [p.line() for p in pins if p.layer == layer]
    LOCK.write_text("\n".join(lines) + "\n")
    print(f"{LOCK.relative_to(ROOT)}: {len(pins)} packages")
    for p in pins:
        print(f"  {p.layer:5} {p.name}=={p.version}  {p.wheel}")


def read_lock() -> dict[str, list[str]]:
    """The lock's requirement entries (with their hash lines) per layer."""
    if not LOCK.exists():
        raise SystemExit(f"{LOCK.relative_to(ROOT)} is missing: run `{Path(__file__).name} lock`")
    layers: dict[str, list[str]] = {"core": [], "lake": []}
    layer = "core"
    entry: list[str] = []
    for raw in LOCK.read_text().splitlines():
        m = re.match(r"# layer: (\w+)", raw)
        if m:
            layer = m.group(1)
            continue
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        entry.append(raw)
        if not raw.rstrip().endswith("\\"):
            layers[layer].append("\n".join(entry))
            entry = []
    return layers


# ------------------------------------------------------------------------------------------
# build
# ------------------------------------------------------------------------------------------


def prune(root: Path) -> None:
    for pattern in PRUNE_GLOBS:
        for path in root.glob(pattern):
            path.unlink()
    for path in sorted(root.rglob("*"), reverse=True):
        if path.is_dir() and path.name in PRUNE_DIRS and ".dist-info" not in str(path):
            shutil.rmtree(path, ignore_errors=True)
        elif path.is_file() and path.suffix in PRUNE_SUFFIXES:
            path.unlink()


def files_under(root: Path) -> Iterable[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def write_zip(zip_path: Path, root: Path, prefix: str = "") -> None:
    tmp = zip_path.with_suffix(".zip.tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for path in files_under(root):
            arcname = prefix + path.relative_to(root).as_posix()
            info = zipfile.ZipInfo(arcname, FIXED_TIME)
            mode = 0o755 if os.access(path, os.X_OK) else 0o644
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, path.read_bytes(), compresslevel=9)
    tmp.replace(zip_path)


def unzipped_size(zip_path: Path) -> int:
    with zipfile.ZipFile(zip_path) as zf:
        return sum(i.file_size for i in zf.infolist())


def layer_digest(requirements: list[str]) -> str:
    """What a layer is built from: when it changes, the layer is rebuilt."""
    recipe = [requirements, PLATFORMS, sorted(PRUNE_DIRS), PRUNE_SUFFIXES, PRUNE_GLOBS]
    return hashlib.sha256(json.dumps(recipe).encode()).hexdigest()


def layer_is_current(out: Path, name: str, requirements: list[str]) -> bool:
    zip_path, stamp = out / f"layer-{name}.zip", out / f"layer-{name}.stamp"
    return zip_path.exists() and stamp.exists() and stamp.read_text() == layer_digest(requirements)


def build_layer(name: str, requirements: list[str], out: Path, force: bool) -> Path:
    zip_path = out / f"layer-{name}.zip"
    stamp = out / f"layer-{name}.stamp"
    digest = layer_digest(requirements)
    if not force and layer_is_current(out, name, requirements):
        print(f"layer {name}: up to date")
        return zip_path
    with tempfile.TemporaryDirectory(prefix=f"cinelake-layer-{name}-") as tmp:
        req = Path(tmp) / "requirements.txt"
        req.write_text("\n".join(requirements) + "\n")
        target = Path(tmp) / "python"
        pip(
            "install",
            "--quiet",
            "--no-deps",
            "--require-hashes",
            "--no-compile",
            *platform_args(),
            "--target",
            str(target),
            "-r",
            str(req),
        )
        prune(target)
        write_zip(zip_path, target, prefix="python/")
    stamp.write_text(digest)
    return zip_path


def shipped(relative: str) -> bool:
    """Whether src/cinelake/<relative> (a POSIX path, "dir/" for a folder) goes into the code zip."""
    return not any(
        relative.startswith(x) if x.endswith("/") else relative == x for x in CODE_EXCLUDE
    )


def build_code(out: Path) -> Path:
    zip_path = out / "cinelake.zip"
    with tempfile.TemporaryDirectory(prefix="cinelake-code-") as tmp:
        dest = Path(tmp) / "cinelake"
        shutil.copytree(SRC, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        for path in sorted(dest.rglob("*"), reverse=True):  # a folder's files before the folder
            relative = path.relative_to(dest).as_posix() + ("/" if path.is_dir() else "")
            if not shipped(relative):
                shutil.rmtree(path) if path.is_dir() else path.unlink()
        write_zip(zip_path, Path(tmp))
    return zip_path


def function_layers() -> dict[str, list[str]]:
    """Function name -> the artifacts it runs with, read from template.yaml."""
    try:
        from cinelake.aws.cfn import Stack, function_properties, load_template

        template = load_template()
    except ImportError:  # no cinelake or PyYAML here: the layout template.yaml has
        return {
            "GetMoviesAndSendToQueue": ["cinelake.zip", "layer-core.zip"],
            "EnrichAndStoreMovie": ["cinelake.zip", "layer-core.zip"],
            "ProcessBronzeToSilver": ["cinelake.zip", "layer-core.zip", "layer-lake.zip"],
            "ProcessSilverToGold": ["cinelake.zip", "layer-core.zip", "layer-lake.zip"],
        }
    stack = Stack(template)
    out: dict[str, list[str]] = {}
    for lid, res in template["Resources"].items():
        if res["Type"] != "AWS::Serverless::Function":
            continue
        props = function_properties(template, lid)
        parts = [Path(props["CodeUri"]).name]
        for layer in props.get("Layers", []):
            layer_id = layer["Ref"]
            parts.append(
                Path(stack.template["Resources"][layer_id]["Properties"]["ContentUri"]).name
            )
        out[lid] = parts
    return out


def build(out: Path = OUT, force: bool = False) -> dict[str, object]:
    out.mkdir(parents=True, exist_ok=True)
    layers = read_lock()
    artifacts = [build_layer(name, reqs, out, force) for name, reqs in layers.items()]
    artifacts.append(build_code(out))
    sizes = {
        a.name: {"zip_bytes": a.stat().st_size, "unzipped_bytes": unzipped_size(a)}
        for a in artifacts
    }
    functions = {
        fn: {
            "artifacts": parts,
            "unzipped_bytes": sum(int(sizes[p]["unzipped_bytes"]) for p in parts),
        }
        for fn, parts in function_layers().items()
    }
    report: dict[str, object] = {
        "runtime": RUNTIME,
        "architecture": "arm64",
        "limit_bytes": LAMBDA_LIMIT_BYTES,
        "artifacts": sizes,
        "functions": functions,
    }
    (out / "sizes.json").write_text(json.dumps(report, indent=2) + "\n")
    mib = 1024 * 1024
    for name, s in sizes.items():
        print(
            f"{name:18} zip {s['zip_bytes'] / mib:7.1f} MiB   unzipped {s['unzipped_bytes'] / mib:7.1f} MiB"
        )
    for fn, f in functions.items():
        total = int(f["unzipped_bytes"])  # type: ignore[call-overload]
        flag = "OK" if total < LAMBDA_LIMIT_BYTES else "OVER THE 250 MB LIMIT"
        print(f"{fn:26} unzipped with layers {total / mib:7.1f} MiB  {flag}")
    if any(int(f["unzipped_bytes"]) >= LAMBDA_LIMIT_BYTES for f in functions.values()):  # type: ignore[call-overload]
        raise SystemExit("a function is over Lambda's 250 MB unzipped limit")
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    lock_p = sub.add_parser("lock", help="resolve requirements/lambda.in for Lambda")
    lock_p.add_argument("--free", action="store_true", help="ignore this environment's versions")
    build_p = sub.add_parser("build", help="build the zips into build/lambda")
    build_p.add_argument("--out", type=Path, default=OUT)
    build_p.add_argument("--force", action="store_true", help="rebuild layers even if unchanged")
    args = parser.parse_args(argv)
    if args.command == "lock":
        lock(constrain=not args.free)
    else:
        build(args.out, args.force)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
