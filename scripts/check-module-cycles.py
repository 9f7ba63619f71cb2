#!/usr/bin/env python3
"""Fails when a crate's modules import each other in a circle.

Each source file is one module (`lib.rs` is `crate`, `a/mod.rs` is `a`,
`a/b.rs` is `a::b`). A file depends on every module its `crate::`, `super::`
and `self::` paths name (the longest module prefix of each path); a name a
module re-exports with `pub use` counts as a use of the module it comes from.
A parent naming a child (`child::item`) uses it; `mod` declarations are
not uses. Prints every circle found, exits 1 if any. Checks itself first on planted
circles (`self_test`).

Why a script and not `cargo modules dependencies --acyclic`: cargo-modules
builds rust-analyzer's crates (minutes on 2 cores) for what these lines do,
and CI runs on a fresh machine each time.
"""

import re
import sys
from pathlib import Path

IDENT = r"[A-Za-z_][A-Za-z0-9_]*"


def module_of(src: Path, file: Path) -> tuple:
    parts = list(file.relative_to(src).with_suffix("").parts)
    if parts[-1] in ("lib", "main", "mod"):
        parts = parts[:-1]
    if parts[:1] == ["bin"]:
        return None
    return tuple(parts)


def strip_comments(text: str) -> str:
    """Drops comments, and the inline test module that ends a file (its
    `super` is the file's own module, and tests are not part of the graph)."""
    text = re.split(r"#\[cfg\(test\)\]\s*mod\s", text)[0]
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return "\n".join(re.sub(r"//.*", "", line) for line in text.splitlines())


def use_tree(text: str, i: int, prefix: list, out: list) -> int:
    """Parses a use tree at text[i:], appending full paths to out."""
    path = list(prefix)
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i < len(text) and text[i] == "{":
            i += 1
            while True:
                while i < len(text) and (text[i].isspace() or text[i] == ","):
                    i += 1
                if i >= len(text) or text[i] == "}":
                    return i + 1
                i = use_tree(text, i, path, out)
        m = re.compile(IDENT).match(text, i)
        if not m:
            out.append(path)
            return i
        path.append(m.group(0))
        i = m.end()
        if text.startswith("::", i):
            i += 2
            continue
        out.append(path)
        return i


def paths_in(text: str, here: tuple, children: list) -> list:
    found = []
    for m in re.finditer(r"\b(crate|super|self)::", text):
        root = m.group(1)
        if root == "crate":
            base = []
        elif root == "self":
            base = list(here)
        else:
            base = list(here[:-1])
        start = m.end()
        # `super::super::x`
        while root == "super" and text.startswith("super::", start):
            base = base[:-1]
            start += len("super::")
        trees = []
        use_tree(text, start, base, trees)
        found.extend(trees)
    # A parent names its own children without a prefix: `child::item`.
    for child in children:
        for m in re.finditer(r"(?<![:\w])" + child + r"::", text):
            trees = []
            use_tree(text, m.end(), list(here) + [child], trees)
            found.extend(trees)
    return found


def reexports(text: str, here: tuple) -> dict:
    """`pub use path::Name;` (and groups) in a module: Name -> path."""
    names = {}
    for m in re.finditer(r"\bpub(?:\([^)]*\))?\s+use\s+", text):
        trees = []
        start = m.end()
        rel = here
        for root in ("crate::", "self::", "super::"):
            if text.startswith(root, start):
                start += len(root)
                rel = () if root == "crate::" else here if root == "self::" else here[:-1]
                break
        use_tree(text, start, list(rel), trees)
        for tree in trees:
            if tree:
                names[tree[-1]] = tree
    return names


def check(src: Path) -> list:
    modules = {}
    for file in src.rglob("*.rs"):
        module = module_of(src, file)
        if module is not None:
            modules[module] = strip_comments(file.read_text())
    exported = {m: reexports(t, m) for m, t in modules.items()}

    def resolve(path: list, depth: int = 0) -> tuple:
        for cut in range(len(path), -1, -1):
            prefix = tuple(path[:cut])
            if prefix in modules:
                rest = path[cut:]
                if rest and depth < 8 and rest[0] in exported.get(prefix, {}):
                    origin = exported[prefix][rest[0]]
                    if tuple(origin[:-1]) != prefix:
                        return resolve(origin + rest[1:], depth + 1)
                return prefix
        return ()

    edges = {m: set() for m in modules}
    for module, text in modules.items():
        children = [m[-1] for m in modules if len(m) == len(module) + 1 and m[:-1] == module]
        for path in paths_in(text, module, children):
            target = resolve(path)
            if target != module:
                edges[module].add(target)

    cycles, index, low, stack, on = [], {}, {}, [], set()

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            part = []
            while True:
                w = stack.pop()
                on.discard(w)
                part.append(w)
                if w == v:
                    break
            if len(part) > 1:
                cycles.append(part)

    sys.setrecursionlimit(10000)
    for v in modules:
        if v not in index:
            visit(v)
    return cycles


def name(module: tuple) -> str:
    return "::".join(module) or "crate"


def self_test() -> None:
    """The check finds a planted circle and leaves acyclic shapes alone."""
    import tempfile

    def crate(files: dict) -> list:
        with tempfile.TemporaryDirectory() as tmp:
            src = Path(tmp)
            for path, text in files.items():
                (src / path).parent.mkdir(parents=True, exist_ok=True)
                (src / path).write_text(text)
            return sorted(sorted(map(name, c)) for c in check(src))

    two = {"lib.rs": "mod a; mod b;", "a.rs": "use crate::b::X;", "b.rs": "use crate::{a::Y};"}
    assert crate(two) == [["a", "b"]], crate(two)
    # A child using an item its parent defines, while the parent calls it.
    back = {"lib.rs": "mod a; pub struct S; fn f() { a::g() }", "a.rs": "use crate::S;"}
    assert crate(back) == [["a", "crate"]], crate(back)
    # The same item re-exported from a third module is no circle.
    fine = {
        "lib.rs": "mod a; mod s; pub use s::S; fn f() { a::g() }",
        "a.rs": "use crate::S; // crate::a::x\n",
        "s.rs": "pub struct S;",
    }
    assert crate(fine) == [], crate(fine)
    nested = {"lib.rs": "mod m;", "m/mod.rs": "mod k; fn f() { k::g() }", "m/k.rs": "use super::H;"}
    assert crate(nested) == [["m", "m::k"]], crate(nested)


def main() -> int:
    self_test()
    root = Path(__file__).resolve().parent.parent
    failed = False
    for src in sorted(root.glob("crates/*/src")) + [root / "tests" / "src"]:
        if not src.is_dir():
            continue
        for cycle in check(src):
            failed = True
            print(f"{src.parent.name}: circle among " + ", ".join(sorted(map(name, cycle))))
    if not failed:
        print("no import circles")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
