#!/usr/bin/env python3
"""scripts/layers.py: the module graph of src/ from its `crate::` paths, checked against the
layer order written in docs/architecture.md.

Prints every top-level module with the modules it imports, then fails (exit 1) on
  * a cycle between top-level modules,
  * an import of a module in a higher layer, or of a feature in the same layer,
  * an import of another feature's internals (`crate::x::models`, `crate::x::routes`, ...):
    a feature is used through what its mod.rs re-exports.
Usage: scripts/layers.py [--quiet]
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
SRC = ROOT / "src"

# The layers, bottom first. A module may import any module of a lower layer; within the kernel
# modules may import each other as long as no cycle forms; a feature imports only the kernel and
# the features listed before it.
KERNEL = [
    "error", "config", "db", "schema", "telemetry", "crypto", "mail", "fields", "http", "jobs",
    "state", "audit", "history", "live", "lifecycle", "storage", "pay", "ledger",
]
FEATURES = [
    "auth", "accounts", "uploads", "merchants", "catalog", "booking", "orders", "payments",
    "messages", "reviews", "aftersales", "credit", "moderation", "settlement",
]
ASSEMBLY = ["app", "seed", "scale", "cli", "lib", "main", "sandbox"]

INTERNAL = {"models", "routes"}

# Tables a module other than the owner names through `schema::`, to read them in a statement
# that joins across owners. Only reads; every write goes through the owner's functions.
SHARED_READS = {
    ("catalog", "merchants"): "discovery and service visibility filter on the merchant's status",
    ("credit", "merchants"): "the failing-credit list skips merchants that are not approved",
    ("moderation", "reviews"): "the moderation queue ranks held and reported reviews",
    ("moderation", "review_reports"): "the moderation queue counts a review's open reports",
    ("reviews", "users"): "the anti-fake rule counts a merchant's reviews by new accounts",
}

ARCHITECTURE = ROOT / "docs" / "architecture.md"


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    return re.sub(r'"(?:\\.|[^"\\])*"', '""', text)


def top_module(path):
    rel = path.relative_to(SRC).parts
    return rel[0][:-3] if rel[0].endswith(".rs") else rel[0]


def brace_names(text, start):
    """The top-level names inside the braces opening at text[start] (`{a, b::c, d::{e}}`)."""
    depth, name, names, i = 0, "", [], start
    while i < len(text):
        c = text[i]
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                break
        if depth == 1 and c not in "{}":
            name += c
        if depth == 1 and c == ",":
            names.append(name)
            name = ""
        i += 1
    names.append(name)
    out = []
    for n in names:
        n = n.strip().strip(",").strip()
        if n:
            out.append(n)
    return out


def imports(text):
    """(module, second path segment or None) for every crate:: path in the text."""
    found = []
    for m in re.finditer(r"\bcrate::", text):
        rest = text[m.end():]
        if rest.startswith("{"):
            for n in brace_names(text, m.end()):
                segs = [s.strip() for s in n.split("::")]
                found.append((segs[0], segs[1] if len(segs) > 1 else None))
        else:
            pm = re.match(r"([A-Za-z_][A-Za-z0-9_]*)(?:::([A-Za-z_][A-Za-z0-9_]*))?", rest)
            if pm:
                found.append((pm.group(1), pm.group(2)))
    return found


def aliased_internals(text, own):
    """`feature::models::`/`feature::routes::` reached through a `use crate::feature;` alias."""
    names = "|".join(f for f in FEATURES if f != own)
    pattern = rf"(?<![A-Za-z0-9_:])({names})::({'|'.join(sorted(INTERNAL))})\b"
    return [(m.group(1), m.group(2)) for m in re.finditer(pattern, text)]


def table_owners():
    """table -> owning top-level module, from the table in docs/architecture.md."""
    owners = {}
    for m in re.finditer(r"^\| `(\w+)` \| `([\w:]+)` \|", ARCHITECTURE.read_text(), re.M):
        owners[m.group(1)] = m.group(2).split("::")[0]
    return owners


def schema_tables():
    return re.findall(r"^    (\w+) \(", (SRC / "schema.rs").read_text(), re.M)


def tables_named(text):
    """Tables a file names through `schema::` (`schema::{a, b}`, `schema::a`, `schema::a as x`)."""
    found = set()
    for m in re.finditer(r"\bschema::", text):
        rest = text[m.end():]
        if rest.startswith("{"):
            found |= {n.split(" as ")[0].split("::")[0].strip() for n in brace_names(text, m.end())}
        else:
            tm = re.match(r"(\w+)", rest)
            if tm:
                found.add(tm.group(1))
    return found - {"self"}


def layer_of(module):
    if module in KERNEL:
        return 0
    if module in FEATURES:
        return 1 + FEATURES.index(module)
    if module in ASSEMBLY:
        return 100
    return None


def main():
    quiet = "--quiet" in sys.argv
    graph, problems = {}, []
    owners = table_owners()
    for table in schema_tables():
        if table not in owners:
            problems.append(f"table `{table}` has no owner in docs/architecture.md")
    for path in sorted(SRC.rglob("*.rs")):
        src = top_module(path)
        if src == "schema":
            continue
        text = strip_comments(path.read_text())
        if src in FEATURES:
            for target, second in aliased_internals(text, src):
                problems.append(
                    f"{path.relative_to(ROOT)}: reaches into `{target}::{second}`"
                    f" (use what {target}/mod.rs re-exports)"
                )
        for table in tables_named(text):
            owner = owners.get(table)
            if owner and owner != src and (src, table) not in SHARED_READS:
                problems.append(
                    f"{path.relative_to(ROOT)}: names table `{table}`, which `{owner}` owns"
                    " (call the owner's functions)"
                )
        for target, second in imports(text):
            if target in ("self", "super") or target == src:
                continue
            if target[0].isupper():
                problems.append(f"{path.relative_to(ROOT)}: imports `crate::{target}` from lib.rs")
                continue
            graph.setdefault(src, set()).add(target)
            if target in FEATURES and second in INTERNAL and src not in ASSEMBLY:
                problems.append(
                    f"{path.relative_to(ROOT)}: reaches into `{target}::{second}`"
                    f" (use what {target}/mod.rs re-exports)"
                )
            ls, lt = layer_of(src), layer_of(target)
            if ls is None:
                problems.append(f"{path.relative_to(ROOT)}: module `{src}` has no layer")
            elif lt is None:
                problems.append(f"{path.relative_to(ROOT)}: imports `{target}`, which has no layer")
            elif lt > ls or (lt == ls and ls != 0 and ls != 100):
                problems.append(
                    f"{path.relative_to(ROOT)}: `{src}` imports `{target}`, against the layer order"
                )
    if not quiet:
        for m in sorted(graph, key=lambda m: (layer_of(m) or -1, m)):
            print(f"{m:<11} -> {' '.join(sorted(graph[m]))}")
    # Cycles between top-level modules (any layer, the kernel included).
    state, stack = {}, []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for t in sorted(graph.get(n, ())):
            if state.get(t) == 1:
                cyc = stack[stack.index(t):] + [t]
                problems.append("cycle: " + " -> ".join(cyc))
            elif t not in state:
                visit(t)
        stack.pop()
        state[n] = 2

    for n in sorted(graph):
        if n not in state:
            visit(n)
    for p in sorted(set(problems)):
        print("layers: " + p, file=sys.stderr)
    if problems:
        print(f"layers: {len(set(problems))} problem(s); the order is in docs/architecture.md",
              file=sys.stderr)
        return 1
    if not quiet:
        print("layers: no cycle, no import against the order")
    return 0


if __name__ == "__main__":
    sys.exit(main())
