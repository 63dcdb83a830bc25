#!/usr/bin/env python3
"""Checks that every relative link of README.md and docs/*.md points at a file that exists and, with
a #fragment, at a heading of that file (GitHub's anchors). Prints each broken link; exits 1 if any."""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def anchors(path):
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered."""
    seen, out, fence = {}, set(), False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            fence = not fence
        m = None if fence else re.match(r"#{1,6} (.*)", line)
        if m:
            slug = re.sub(r"[^\w\- ]", "", m.group(1).strip().lower()).replace(" ", "-")
            n = seen.get(slug, 0)
            seen[slug] = n + 1
            out.add(slug if n == 0 else f"{slug}-{n}")
    return out


def links(path):
    fence = False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith("```"):
            fence = not fence
        if not fence:
            for m in LINK.finditer(line):
                yield number, m.group(1)


broken = 0
for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
    for number, target in links(doc):
        if re.match(r"[a-z]+:", target):
            continue  # http(s), mailto: not checked here
        file, _, fragment = target.partition("#")
        dest = (doc.parent / file).resolve() if file else doc
        if not dest.exists():
            problem = "no such file"
        elif fragment and dest.suffix == ".md" and fragment not in anchors(dest):
            problem = "no such heading"
        else:
            continue
        broken += 1
        print(f"{doc.relative_to(ROOT)}:{number}: {target}: {problem}")
sys.exit(1 if broken else 0)
