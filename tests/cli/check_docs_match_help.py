#!/usr/bin/env python3
"""tests/cli/check_docs_match_help.py: dial(1) and the bash and zsh completions cannot drift from
--help. Every command that `dial --help` lists under "Commands:", and every option that its
--help (or the command's own --help) defines, must appear in the rendered man page and in both
completion scripts; bash must complete each option from its first letters. The page must render
without warnings (groff -man -ww), the bash script must load, and zsh must parse _dial (when zsh
is installed). Usage: check_docs_match_help.py DIAL MAN_PAGE BASH_COMPLETION ZSH_COMPLETION"""
import re
import shutil
import subprocess
import sys

dial, man, bash_completion, zsh_completion = sys.argv[1:5]
failed = False


def fail(message):
    global failed
    print("FAIL:", message)
    failed = True


def help_of(*args):
    p = subprocess.run([dial, *args, "--help"], capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        fail(f"dial {' '.join(args)} --help: status {p.returncode}")
    return p.stdout


def commands(text):
    """The words listed under "Commands:", up to the next blank line."""
    block = text.split("\nCommands:\n", 1)[1].split("\n\n", 1)[0]
    return re.findall(r"^  ([a-z][a-z-]*)\s", block, re.M)


def options(text):
    """Every option a definition line starts with: "  -p, --ports LIST", "  --json", "  --"."""
    found = []
    for line in text.splitlines():
        m = re.match(r"^ {2,}(-[^ ,]*(?:, -[^ ,]*)*)", line)
        if m:
            for o in m.group(1).split(", "):
                found.append(re.sub(r"[\[=].*", "", o))  # --color[=WHEN] -> --color
    return found


main_help = help_of()
cmds = commands(main_help)
print("commands:", " ".join(cmds))
if not {"scan", "why", "demo"} <= set(cmds):
    fail(f"'Commands:' lists {cmds}")
wanted = {"": options(main_help)}
for c in cmds:
    text = help_of(c)
    if text != main_help:  # a command with a help of its own (demo and help show the main one)
        wanted[c] = options(text)

p = subprocess.run(["groff", "-man", "-ww", "-z", man], capture_output=True, text=True, timeout=60)
if p.returncode != 0 or p.stderr:
    fail(f"groff -man -ww: {p.stderr.strip() or p.returncode}")
page = subprocess.run(["groff", "-man", "-Tascii", "-P-cbou", man], capture_output=True,
                      text=True, timeout=60).stdout
page = re.sub(r"-\s*\n\s*", "-", page)  # a word hyphenated at a line end
bash = open(bash_completion).read()
zsh = open(zsh_completion).read()


def words(text):
    return set(re.findall(r"(?<![\w-])-{1,2}[\w-]*|[a-z][\w-]*", text))


page_words, bash_words, zsh_words = words(page), words(bash), words(zsh)
for c in cmds:
    for name, ws in [("dial(1)", page_words), ("dial.bash", bash_words), ("_dial", zsh_words)]:
        if c not in ws:
            fail(f"{name} lacks the command '{c}'")
for c, opts in wanted.items():
    print(f"dial {c} options:".replace("  ", " "), " ".join(opts))
    for o in opts:
        for name, ws in [("dial(1)", page_words), ("dial.bash", bash_words), ("_dial", zsh_words)]:
            if o not in ws:
                fail(f"{name} lacks '{o}' of 'dial {c} --help'")
        if o == "--":
            continue
        # bash completes the option from its first two characters after the dashes.
        prefix = o[: len(o) - len(o.lstrip("-")) + 2]
        line = ["dial", *([c] if c else []), prefix]
        script = (f"source {bash_completion}; COMP_WORDS=({' '.join(line)}); "
                  f"COMP_CWORD={len(line) - 1}; _dial; printf '%s\\n' \"${{COMPREPLY[@]}}\"")
        got = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60)
        if o not in got.stdout.split():
            fail(f"bash does not complete '{prefix}' to '{o}' after '{' '.join(line[:-1])}'")

got = subprocess.run(["bash", "-c", f"source {bash_completion} && complete -p dial"],
                     capture_output=True, text=True, timeout=60)
if got.stdout.strip() != "complete -F _dial dial":
    fail(f"bash: complete -p dial says {got.stdout.strip()!r} {got.stderr.strip()}")
if shutil.which("zsh"):
    z = subprocess.run(["zsh", "-n", zsh_completion], capture_output=True, text=True, timeout=60)
    if z.returncode != 0:
        fail(f"zsh -n _dial: {z.stderr.strip()}")
else:
    print("note: no zsh here (Debian zsh): _dial's syntax is not checked")
print("FAIL" if failed else "PASS")
sys.exit(1 if failed else 0)
