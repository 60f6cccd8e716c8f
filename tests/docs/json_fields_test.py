#!/usr/bin/env python3
"""Every JSON field docs/cli.md documents for a command is in that command's real --json output, and
every field the output has is documented.

    json_fields_test.py XPUSIM_BINARY SOURCE_DIR

How the fields are read from docs/cli.md: each `## xpusim COMMAND ...` section (COMMAND: the lowercase
words after `xpusim`, e.g. `llm serve`) documents its JSON in ```json fenced blocks and in inline code
spans that start with `{` or `"`. Those use JSON's shape, loosely: in an object, a string right after
`{` or `,`, or right before `:`, is a field name (so both `{"tp": 1}` and the shorthand `{"tp", "pp"}`
name fields), strings elsewhere are values. A field followed by `?` is optional (present only in some
cases), and so is everything under it. An object with no field names (`{...}`, `{part: seconds}`), or
with `...` or `"..."` among its fields, is open: any field under it is documented. Fields inside arrays
are named with `[]`, e.g. `systems[].config.tp`. Anything outside the objects (prose, parentheses) is
ignored.

The commands run from SOURCE_DIR with XPUSIM_SPECS=specs (as the golden cases do); a documented field
must appear in at least one run of its section, unless it is optional.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

# Each documented section and the runs that exercise its JSON. Sections missing here are not checked;
# every section of the doc must be listed (an empty list says "not checked, on purpose").
RUNS = {
    "specs list": [["specs", "list", "--json"]],
    "specs show": [
        ["specs", "show", "h100-sxm", "--json"],
        ["specs", "show", "gb200-nvl72", "--json"],
        ["specs", "show", "{two_spec_file}", "--json"],
        ["specs", "show", "tests/golden/inputs/h100-fast.yaml", "--json"],  # base
    ],
    "specs check": [
        ["specs", "check", "--json", "tests/golden/inputs/my-chip.yaml", "tests/golden/inputs/my-node.yaml"],
        ["specs", "check", "--json", "--strict", "tests/golden/inputs/my-chip.yaml"],  # with diagnostics
    ],
    # Keyed by kind name, each an array of rows: too dynamic for this check; the golden case covers it.
    "specs schema": [],
    "llm serve": [
        ["llm", "serve", "--model", "llama3-8b", "--chip", "h100-sxm", "--prompt", "2048", "--gen", "256", "--json"],
        ["llm", "serve", "--model", "tests/golden/inputs/tiny-llama.yaml", "--chip", "xpu-1", "--engine", "cycle",
         "--json"],
    ],
    "validate": [["validate", "--json"]],
    "llm train": [
        ["llm", "train", "--model", "mixtral-8x7b", "--system", "dgx-h100", "--nodes", "8", "--fabric",
         "nvidia-quantum2-ndr", "--tp", "2", "--pp", "4", "--ep", "8", "--seq", "4096", "--global-batch", "256",
         "--json"],
        ["llm", "train", "--model", "llama3-8b", "--system", "dgx-h100", "--nodes", "2", "--fabric",
         "nvidia-quantum2-ndr", "--seq", "4096", "--global-batch", "64", "--search", "--json"],
        ["llm", "train", "--model", "tests/golden/inputs/tiny-llama.yaml", "--system", "xpu-1-node", "--seq", "512",
         "--global-batch", "8", "--engine", "cycle", "--json"],
    ],
    "crosscheck": [
        ["crosscheck", "--chip", "xpu-1", "--model", "tests/golden/inputs/tiny-llama.yaml", "--decode-batches", "1,8",
         "--context", "256", "--prefill-batches", "1", "--prompt", "256", "--train-seq", "256", "--fit", "--json"],
    ],
    "cost": [
        ["cost", "--chip", "xpu-1", "--json"],
        ["cost", "--chip", "mi300x", "--json"],
    ],
    "asm": [["asm", "examples/isa/matmul-gelu.s", "--json"]],
    "disasm": [["disasm", "tests/golden/inputs/matmul-gelu.xbin", "--json"]],
    "compile": [
        ["compile", "--model", "tests/golden/inputs/tiny-llama.yaml", "--chip", "xpu-1", "--prompt", "64", "--json"],
        ["compile", "--model", "tests/golden/inputs/tiny-llama.yaml", "--chip", "xpu-1", "--phase", "prefill",
         "--prompt", "64", "--no-times", "--json"],
    ],
    "compare": [
        ["compare", "--json"],
        ["compare", "--workload", "train-gpt3-175b-300b", "--json"],
    ],
    "scalesim": [
        ["scalesim", "--topology", "tests/data/scalesim/conv_small.csv", "--rows", "8", "--cols", "8",
         "--dataflow", "os", "--json"],
    ],
    "run": [
        ["run", "tests/golden/inputs/matmul-gelu.xbin", "--chip", "xpu-1", "--json"],
        ["run", "tests/golden/inputs/two-core-tiles.xbin", "--chip", "xpu-1", "--json"],
    ],
}


def sections(markdown):
    """{command: text of its section} for every `## xpusim ...` heading."""
    out = {}
    current = None
    for line in markdown.splitlines(keepends=True):
        if line.startswith("## "):
            words = line[3:].split()
            current = None
            if words and words[0] == "xpusim":
                command = []
                for word in words[1:]:
                    if not re.fullmatch(r"[a-z]+", word):
                        break
                    command.append(word)
                current = " ".join(command)
                out[current] = ""
            continue
        if current is not None:
            out[current] += line
    return out


def json_descriptions(text):
    """The JSON-shaped pieces of a section: fenced json blocks and inline spans starting with { or "."""
    pieces = re.findall(r"```json\n(.*?)```", text, flags=re.S)
    rest = re.sub(r"```.*?```", "", text, flags=re.S)
    for span in re.findall(r"`([^`]+)`", rest):
        span = span.strip()
        if span.startswith("{"):
            pieces.append(span)
        elif span.startswith('"') and re.match(r'"[^"]+"\??:', span):
            pieces.append("{" + span + "}")  # a fragment of the top-level object
    return pieces


TOKEN = re.compile(r'"([^"]*)"|(\.\.\.)|([{}\[\],:?])|([^\s"{}\[\],:?]+)|\s+')


def documented_fields(piece):
    """(fields, optional, open) of one description: sets of paths (tuples)."""
    fields, optional, open_paths = set(), set(), set()
    tokens = []
    for m in TOKEN.finditer(piece):
        if m.group(1) is not None:
            tokens.append(("str", m.group(1)))
        elif m.group(2):
            tokens.append(("ellipsis", "..."))
        elif m.group(3):
            tokens.append((m.group(3), m.group(3)))
        elif m.group(4):
            tokens.append(("word", m.group(4)))
    # frame: [kind, path, optional, last_key, keys_seen, open]
    stack = []
    previous = None
    for i, (kind, value) in enumerate(tokens):
        following = tokens[i + 1][0] if i + 1 < len(tokens) else None
        top = stack[-1] if stack else None
        if kind in ("{", "["):
            if top is None:
                path, opt = (), False
            elif top["kind"] == "[":
                path, opt = top["path"] + ("[]",), top["optional"]
            elif top["last_key"] is not None and previous in (":",):
                path, opt = top["path"] + (top["last_key"],), top["last_optional"]
            else:
                path, opt = None, True  # an object inside prose: not a field's value
            stack.append({"kind": kind, "path": path, "optional": opt, "last_key": None, "last_optional": opt,
                          "keys": 0, "open": False, "children": 0})
            if top is not None:
                top["children"] += 1
        elif kind in ("}", "]") and stack:
            frame = stack.pop()
            if frame["path"] is not None and (frame["open"] or (frame["keys"] == 0 and frame["children"] == 0)):
                open_paths.add(frame["path"])
        elif kind == "ellipsis" and top is not None:
            top["open"] = True
        elif kind == "str" and top is not None and top["kind"] == "{" and top["path"] is not None:
            is_key = previous in ("{", ",") or following == ":" or (following == "?" and tokens[i + 2][0] == ":"
                                                                     if i + 2 < len(tokens) else False)
            if is_key and value in ("...", ""):
                top["open"] = True
            elif is_key:
                opt = top["optional"] or following == "?"
                path = top["path"] + (value,)
                fields.add(path)
                if opt:
                    optional.add(path)
                top["last_key"], top["last_optional"] = value, opt
                top["keys"] += 1
        if kind != "?":
            previous = kind
    return fields, optional, open_paths


def output_fields(value, path=()):
    found = set()
    if isinstance(value, dict):
        for key, item in value.items():
            found.add(path + (key,))
            found |= output_fields(item, path + (key,))
    elif isinstance(value, list):
        for item in value:
            found |= output_fields(item, path + ("[]",))
    return found


def show(path):
    return ".".join(path).replace(".[]", "[]")


def main():
    binary, source = sys.argv[1], sys.argv[2]
    with open(os.path.join(source, "docs", "cli.md"), encoding="utf-8") as f:
        docs = sections(f.read())
    problems = []
    for command in docs:
        if command not in RUNS:
            problems.append(f"{command}: a section of docs/cli.md this test does not know (add it to RUNS)")
    with tempfile.TemporaryDirectory() as scratch:
        two_spec_file = os.path.join(scratch, "two-specs.yaml")
        with open(two_spec_file, "w", encoding="utf-8") as out:
            for name in ("my-chip.yaml", "my-node.yaml"):
                with open(os.path.join(source, "tests", "golden", "inputs", name), encoding="utf-8") as f:
                    out.write(f.read() + "\n---\n")
        for command, runs in RUNS.items():
            if command not in docs:
                problems.append(f"{command}: no `## xpusim {command}` section in docs/cli.md")
                continue
            if not runs:
                continue
            fields, optional, open_paths = set(), set(), set()
            for piece in json_descriptions(docs[command]):
                f, o, p = documented_fields(piece)
                fields |= f
                optional |= o
                open_paths |= p
            if not fields:
                problems.append(f"{command}: docs/cli.md documents no JSON fields")
                continue
            seen = set()
            for args in runs:
                args = [a.replace("{two_spec_file}", two_spec_file) for a in args]
                env = dict(os.environ, XPUSIM_SPECS="specs")
                done = subprocess.run([binary] + args, cwd=source, env=env, capture_output=True, text=True,
                                      timeout=600)
                try:
                    output = json.loads(done.stdout)
                except json.JSONDecodeError as error:
                    problems.append(f"xpusim {' '.join(args)}: no JSON on stdout ({error}; exit {done.returncode}: "
                                    f"{done.stderr.strip()[:200]})")
                    continue
                got = output_fields(output)
                seen |= got
                for path in sorted(got):
                    documented = path in fields or any(path[:len(p)] == p and len(path) > len(p) for p in open_paths)
                    if not documented:
                        problems.append(f"{command}: `{show(path)}` is in the output of `xpusim {' '.join(args)}` "
                                        "but not in docs/cli.md")
            for path in sorted(fields - optional):
                if path not in seen:
                    problems.append(f"{command}: docs/cli.md documents `{show(path)}`, which no run's output has")
    for problem in problems:
        print(problem)
    if problems:
        print(f"FAIL: {len(problems)} mismatches between docs/cli.md and the JSON output")
        return 1
    print("ok: every documented JSON field is in the output, and every output field is documented")
    return 0


if __name__ == "__main__":
    sys.exit(main())
