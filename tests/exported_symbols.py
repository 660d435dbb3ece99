#!/usr/bin/env python3
"""tests/exported_symbols.py LIBDIAL_SO: only dial's public API is exported from libdial.so.

Lists the defined dynamic symbols (nm -D --defined-only), demangles them (c++filt) and sorts each
by the namespace of the entity it names. Passes when every symbol is in dial:: or is an
instantiation of a libstdc++ template (std::, __gnu_cxx::). The latter cannot be hidden from the
library's side: libstdc++ declares its namespaces with default visibility, so a template that dial
instantiates (the typeinfo of shared_ptr's control-block bases, the function-local statics of
inline functions, std::atomic's wait loop) keeps default visibility under -fvisibility=hidden.
They are vague-linkage (weak or unique) copies of what every program that uses the same
templates has too; the dynamic linker merges them, and dial's ABI does not depend on them. Any
other symbol (a C function, another namespace, a dial internal outside dial::) fails the test.
"""
import subprocess
import sys

PREFIXES = ("typeinfo name for ", "typeinfo for ", "vtable for ", "VTT for ",
            "construction vtable for ", "guard variable for ", "non-virtual thunk to ",
            "virtual thunk to ", "covariant return thunk to ", "transaction clone for ")


def owner(name):
    """The outermost namespace of the entity a demangled symbol names ('' if none)."""
    for p in PREFIXES:
        if name.startswith(p):
            name = name[len(p):]
    depth, head = 0, ""
    for c in name:  # the entity's qualified name: up to the first '(' outside template brackets
        if c == "<":
            depth += 1
        elif c == ">":
            depth -= 1
        elif c == "(" and depth == 0 and not head.endswith("operator"):
            break
        elif c == " " and depth == 0:
            head = ""  # a template function's return type came first
            continue
        head += c
    return head.split("::", 1)[0] if "::" in head else ""


def main():
    nm = subprocess.run(["nm", "-D", "--defined-only", sys.argv[1]], check=True,
                        capture_output=True, text=True).stdout.splitlines()
    mangled = [line.split()[-1] for line in nm if line.strip()]
    names = subprocess.run(["c++filt"], input="\n".join(mangled), check=True,
                           capture_output=True, text=True).stdout.splitlines()
    groups = {"dial": [], "libstdc++": [], "other": []}
    for n in names:
        o = owner(n)
        groups["dial" if o == "dial" else "libstdc++" if o in ("std", "__gnu_cxx") else "other"].append(n)
    print(f"exported: {len(names)} symbols, {len(groups['dial'])} in dial::, "
          f"{len(groups['libstdc++'])} libstdc++ template instantiations, "
          f"{len(groups['other'])} other")
    for n in groups["libstdc++"]:
        print("  libstdc++:", n)
    for n in groups["other"]:
        print("  NOT PUBLIC API:", n)
    if not groups["dial"]:
        print("no dial:: symbol exported: is this libdial.so?")
        return 1
    return 1 if groups["other"] else 0


if __name__ == "__main__":
    sys.exit(main())
