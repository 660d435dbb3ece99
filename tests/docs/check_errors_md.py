#!/usr/bin/env python3
"""tests/docs/check_errors_md.py ERRORS_MD ERROR_LIST: docs/errors.md agrees with the one list.

ERROR_LIST is what tests/docs/error_list prints from the headers: `name ID Name` per entry of
DIAL_ERROR_LIST and `set SET Name...` per closed set. Fails, naming each disagreement, when
  - a name of the list appears nowhere in docs/errors.md;
  - a row of a table whose first column is `name` names something that is not in the list, or
    gives an id (an `id` column) other than the list's;
  - a section whose heading names a set (`dial::connect_error`) and that has a `name` table
    leaves out one of the set's members, or its table lists a name outside the sets the heading
    names. (Sections that describe a composite set in prose, as a union of other sets, are
    checked by the first rule only.)
"""
import re
import sys


def read_list(path):
    ids, sets = {}, {}
    for line in open(path, encoding="utf-8"):
        f = line.split()
        if f[0] == "name":
            ids[f[2]] = int(f[1])
        elif f[0] == "set":
            sets[f[1]] = f[2:]
    return ids, sets


def sections(text):
    """(heading, body) for every heading of docs/errors.md."""
    parts = re.split(r"^(#+ .*)$", text, flags=re.M)
    return [(parts[i], parts[i + 1]) for i in range(1, len(parts) - 1, 2)]


def name_tables(body):
    """Rows of the tables whose first column is `name`: (cells, header)."""
    rows, header = [], None
    for line in body.splitlines():
        if not line.startswith("|"):
            header = None
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            header = cells
        elif not set(cells[0]) <= set("-: ") and header[0] == "name":
            rows.append((cells, header))
    return rows


def main():
    text = open(sys.argv[1], encoding="utf-8").read()
    ids, sets = read_list(sys.argv[2])
    words = set(re.findall(r"\b[A-Z][A-Za-z0-9]+\b", text))
    problems = [f"{n} (id {i}) is not in docs/errors.md" for n, i in ids.items() if n not in words]
    for heading, body in sections(text):
        named = [s for s in re.findall(r"dial::(\w+_error)\b", heading) if s in sets]
        members = {m for s in named for m in sets[s]}
        body_words = set(re.findall(r"\b[A-Z][A-Za-z0-9]+\b", body))
        tables = name_tables(body)
        for s in named if tables else []:
            problems += [f"{heading.strip()}: {m} of {s} is missing" for m in sets[s]
                         if m not in body_words]
        for cells, header in tables:
            # "SocketNotConnected (getpeername only)": the name is the leading word
            names = [n.strip().split(" ")[0] for n in cells[0].split(",")]
            for n in names:
                if n not in ids:
                    problems.append(f"{heading.strip()}: '{n}' is not a name of dial's list")
                elif named and n not in members:
                    problems.append(f"{heading.strip()}: {n} is not in {', '.join(named)}")
            if "id" in header:
                given = [int(i) for i in re.findall(r"\d+", cells[header.index("id")])]
                want = [ids.get(n) for n in names]
                if given != want:
                    problems.append(f"{heading.strip()}: {', '.join(names)} have ids {want}, "
                                    f"docs/errors.md says {given}")
    for p in problems:
        print("errors.md:", p)
    print(f"errors.md: {len(ids)} names, {len(sets)} sets checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
