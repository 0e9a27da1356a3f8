#!/usr/bin/env python3
"""Fails if a relative link in a tracked Markdown file points nowhere.

For every *.md file git tracks (or would: untracked, not ignored), each inline link or image `[text](target)`
and each reference definition `[label]: target` outside code (fenced blocks
and `inline code`) whose target is not a URL (scheme:) must name a file or
folder that exists, relative to the Markdown file; a `#fragment` on a
Markdown target (or alone, for the same file) must be one of that file's
heading anchors, as GitHub makes them. Run from anywhere:
python3 .ci/check_links.py
"""
import os
import re
import subprocess
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1")
INLINE_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s.*)?$")
HEADING = re.compile(r"^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$")


def prose_lines(path):
    """(line number, text) of the lines outside fenced code blocks."""
    fence = None
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.rstrip("\n")
            m = FENCE.match(line)
            if fence is None and m:
                fence = m.group(1)[0] * len(m.group(1))
                continue
            if fence is not None:
                if line.strip().startswith(fence) and set(line.strip()) <= {fence[0]}:
                    fence = None
                continue
            yield number, line


def slug(heading):
    """GitHub's anchor for a heading's text."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # link text only
    text = text.replace("`", "").lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


_anchors = {}


def anchors(path):
    if path not in _anchors:
        seen = {}
        result = set()
        for _, line in prose_lines(path):
            m = HEADING.match(line)
            if not m:
                continue
            base = slug(m.group(1))
            n = seen.get(base, 0)
            seen[base] = n + 1
            result.add(base if n == 0 else f"{base}-{n}")
        _anchors[path] = result
    return _anchors[path]


def main():
    files = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "*.md"], cwd=ROOT, check=True,
        capture_output=True, text=True).stdout.split("\0")
    files = [f for f in files if f]
    bad = 0
    checked = 0
    for md in files:
        path = os.path.join(ROOT, md)
        if not os.path.isfile(path):
            continue
        for number, line in prose_lines(path):
            text = INLINE_CODE.sub("", line)
            targets = [m.group(1) for m in INLINE_LINK.finditer(text)]
            m = REFERENCE.match(text)
            if m:
                targets.append(m.group(1))
            for target in targets:
                if not target or re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", target):
                    continue  # A URL (https:, mailto:, ...): not checked here.
                checked += 1
                file_part, _, fragment = target.partition("#")
                dest = path if not file_part else os.path.normpath(
                    os.path.join(os.path.dirname(path), file_part))
                where = f"{md}:{number}: ({target})"
                if not dest.startswith(ROOT + os.sep) and dest != ROOT:
                    print(f"{where} points outside the repository")
                    bad += 1
                elif not os.path.exists(dest):
                    print(f"{where}: {os.path.relpath(dest, ROOT)} does not exist")
                    bad += 1
                elif fragment and dest.endswith(".md") and fragment not in anchors(dest):
                    print(f"{where}: no heading #{fragment} in {os.path.relpath(dest, ROOT)}")
                    bad += 1
    print(f"{checked} relative links in {len(files)} Markdown files, {bad} broken")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
