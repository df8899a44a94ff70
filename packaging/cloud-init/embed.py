#!/usr/bin/env python3
"""Copy packaging/kubeadm/kubeadm-preflight into the write_files entry of
kubeadm-node.yaml that installs it, so the cloud-config carries the same
script (run after editing the script; the tests compare the two)."""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "..", "kubeadm", "kubeadm-preflight")
CONFIG = os.path.join(HERE, "kubeadm-node.yaml")
PATH_LINE = "  - path: /usr/local/sbin/kubeadm-preflight\n"
INDENT = "      "


def main():
    with open(SCRIPT) as f:
        script = f.read()
    with open(CONFIG) as f:
        lines = f.readlines()
    start = lines.index(PATH_LINE)
    body = lines.index("    content: |\n", start) + 1
    end = body
    while end < len(lines) and (lines[end].startswith(INDENT) or
                                lines[end] == "\n"):
        end += 1
    while end > body and lines[end - 1] == "\n":
        end -= 1
    block = [(INDENT + s if s.strip() else "\n")
             for s in script.splitlines(keepends=True)]
    lines[body:end] = block
    with open(CONFIG, "w") as f:
        f.writelines(lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
