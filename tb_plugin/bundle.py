"""ES modules inlined into one script, for a page that loads nothing (the report).

A page opened from a `file://` URL may not load other module files, and the report's
Content-Security-Policy forbids any load; so the modules an entry module imports are
inlined into one `<script type="module">`: each module becomes a function scope, run once,
in dependency order, that returns its exports object, and each `import` becomes a read of
the exporting module's object. Only the forms this project writes are understood; any
other (a dynamic `import()`, a re-export, a destructuring export, top-level `await`, a
bare specifier, an import cycle) raises `BundleError` naming the file and the form, so a
new form fails the report's tests instead of a reader's browser.

Understood:

* ``import { a, b as c } from "./x.js";``, ``import * as ns from "./x.js";``,
  ``import d from "./x.js";``, ``import d, { a } from "./x.js";``, ``import "./x.js";``
  (relative specifiers inside the front-end directory);
* ``export function``/``async function``/``function*``/``class``/``const``/``let``/``var``
  of one name, ``export { a, b as c };``, ``export default <expression or declaration>``;
* ``import.meta`` (the inline module's own; left as written).

The scanner skips comments, strings, template literals (with nested ``${}``) and regular
expression literals (told from division by the token before, as JavaScript's grammar does
in practice), so `import` in a string or comment is left alone.
"""

from __future__ import annotations

import dataclasses
import os
import posixpath
import re

__all__ = ["BundleError", "Module", "bundle", "parse_module"]


class BundleError(ValueError):
    """A module form the bundler does not understand, a missing file or an import cycle."""


@dataclasses.dataclass(frozen=True)
class Import:
    """One import declaration: `source` (the specifier), bindings local name -> exported
    name (`*` for the namespace object), and its span in the text."""

    source: str
    bindings: tuple[tuple[str, str], ...]
    start: int
    end: int


@dataclasses.dataclass(frozen=True)
class Module:
    """A parsed module: its text with import/export syntax cut out (`body`), its imports,
    and its exports as exported name -> local name."""

    path: str
    body: str
    imports: tuple[Import, ...]
    exports: tuple[tuple[str, str], ...]


# --- the scanner ---------------------------------------------------------------------------

_IDENT = re.compile(r"[A-Za-z_$\u0080-\uffff][\w$\u0080-\uffff]*")
_NUMBER = re.compile(r"\.?\d[\w.]*(?:[eE][+-]?\d+)?")
# After these, `/` starts a regular expression; after an identifier, a number, `)` or `]`
# it divides.
_REGEX_AFTER_WORDS = frozenset(
    ("return", "typeof", "case", "do", "else", "in", "instanceof", "new", "delete", "void")
    + ("throw", "yield", "await", "of")
)
_PUNCT = re.compile(r">>>=|\.\.\.|===|!==|\*\*=|<<=|>>=|>>>|=>|[-+*/%&|^<>!=?]=|&&=|\|\|=|\?\?=|"
                    r"\?\?|\?\.|&&|\|\||\+\+|--|<<|>>|\*\*|[{}()\[\];,<>+\-*/%&|^!~?:=.@#]")  # fmt: skip


_STATEMENT_WORDS = frozenset(("import", "export", "function", "class", "const", "let", "var"))


@dataclasses.dataclass(frozen=True)
class _Token:
    kind: str  # "name", "string", "template", "regex", "number", "punct"
    text: str
    start: int
    end: int
    depth: int  # nesting of (), [] and {} at the token's start


def _tokens(text: str, path: str) -> list[_Token]:
    """The module's tokens, comments and whitespace left out."""
    out: list[_Token] = []
    stack: list[str] = []  # open brackets; "${" marks a template substitution
    i = 0
    n = len(text)

    def fail(message: str) -> BundleError:
        line = text.count("\n", 0, i) + 1
        return BundleError(f"{path}:{line}: {message}")

    def regex_allowed() -> bool:
        if not out:
            return True
        last = out[-1]
        if last.kind == "name":
            return last.text in _REGEX_AFTER_WORDS
        if last.kind == "punct":
            return last.text not in (")", "]", "}")
        return False

    def template_from(j: int) -> int:
        """Scans template characters from j; stops after the closing backtick or `${`."""
        while j < n:
            c = text[j]
            if c == "\\":
                j += 2
            elif c == "`":
                return j + 1
            elif c == "$" and text.startswith("${", j):
                stack.append("${")
                return j + 2
            else:
                j += 1
        raise fail("unterminated template literal")

    while i < n:
        c = text[i]
        if c in " \t\r\n\ufeff\u00a0\u2028\u2029":
            i += 1
            continue
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            if j < 0:
                raise fail("unterminated comment")
            i = j + 2
            continue
        depth = len(stack)
        if c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                if text[j] == "\\":
                    j += 1
                elif text[j] == "\n":
                    raise fail("unterminated string")
                j += 1
            if j >= n:
                raise fail("unterminated string")
            out.append(_Token("string", text[i : j + 1], i, j + 1, depth))
            i = j + 1
            continue
        if c == "`":
            j = template_from(i + 1)
            out.append(_Token("template", text[i:j], i, j, depth))
            i = j
            continue
        if c == "}" and stack and stack[-1] == "${":
            stack.pop()
            j = template_from(i + 1)
            out.append(_Token("template", text[i:j], i, j, len(stack)))
            i = j
            continue
        if c == "/" and regex_allowed():
            j = i + 1
            in_class = False
            while j < n:
                d = text[j]
                if d == "\\":
                    j += 2
                    continue
                if d == "\n":
                    raise fail("unterminated regular expression")
                if d == "[":
                    in_class = True
                elif d == "]":
                    in_class = False
                elif d == "/" and not in_class:
                    break
                j += 1
            j += 1
            while j < n and (text[j].isalnum() or text[j] in "_$"):
                j += 1
            out.append(_Token("regex", text[i:j], i, j, depth))
            i = j
            continue
        m = _IDENT.match(text, i)
        if m:
            out.append(_Token("name", m.group(0), i, m.end(), depth))
            i = m.end()
            continue
        m = _NUMBER.match(text, i)
        if m and (c.isdigit() or (c == "." and i + 1 < n and text[i + 1].isdigit())):
            out.append(_Token("number", m.group(0), i, m.end(), depth))
            i = m.end()
            continue
        m = _PUNCT.match(text, i)
        if not m:
            raise fail(f"unexpected character {c!r}")
        p = m.group(0)
        if p in "([{":
            stack.append(p)
        elif p in ")]}":
            if not stack or stack[-1] != {")": "(", "]": "[", "}": "{"}[p]:
                raise fail(f"unbalanced {p!r}")
            stack.pop()
        out.append(_Token("punct", p, i, m.end(), len(stack) if p in ")]}" else depth))
        i = m.end()
    if stack:
        raise fail(f"unclosed {stack[-1]!r}")
    return out


# --- parsing one module --------------------------------------------------------------------


def _string_value(token: _Token) -> str:
    return token.text[1:-1]


def parse_module(text: str, path: str) -> Module:
    """Cuts a module's import and export syntax out of its text.

    Args:
      text: The module's source.
      path: Its path, for messages and to resolve relative specifiers (POSIX-style,
        relative to the front-end directory).

    Raises:
      BundleError: A form the bundler does not understand (see the module docstring).
    """
    toks = _tokens(text, path)
    cuts: list[tuple[int, int, str]] = []  # (start, end, replacement)
    imports: list[Import] = []
    exports: list[tuple[str, str]] = []

    def fail(tok: _Token, message: str) -> BundleError:
        return BundleError(f"{path}:{text.count(chr(10), 0, tok.start) + 1}: {message}")

    def statement_end(k: int) -> int:
        """Index after the `;` ending the statement at token k (or after its last token)."""
        if k < len(toks) and toks[k].kind == "punct" and toks[k].text == ";":
            return k + 1
        return k

    def is_keyword(k: int) -> bool:
        """The name at k is a keyword, not a property name (`a.import`, `{export: 1}`)."""
        if k > 0 and toks[k - 1].kind == "punct" and toks[k - 1].text in (".", "?."):
            return False
        return not (k + 1 < len(toks) and toks[k + 1].text == ":")

    k = 0
    while k < len(toks):
        tok = toks[k]
        if tok.kind == "name" and tok.text == "await" and tok.depth == 0:
            raise fail(tok, "top-level await is not supported")
        if tok.kind != "name" or tok.text not in ("import", "export") or not is_keyword(k):
            k += 1
            continue
        nxt = toks[k + 1] if k + 1 < len(toks) else None
        if tok.text == "import":
            if nxt is not None and nxt.text == ".":
                k += 1  # import.meta: the inline script's own
                continue
            if nxt is not None and nxt.text == "(":
                raise fail(tok, "dynamic import() is not supported")
            if tok.depth != 0:
                raise fail(tok, "import inside a block")
            k = _parse_import(toks, k, path, imports, cuts, fail, statement_end)
            continue
        # export
        if tok.depth != 0:
            raise fail(tok, "export inside a block")
        if nxt is None:
            raise fail(tok, "export at the end of the file")
        if nxt.text == "default":
            after = toks[k + 2] if k + 2 < len(toks) else None
            if after is None:
                raise fail(tok, "export default of nothing")
            if after.text in ("function", "class") or (
                after.text == "async" and k + 3 < len(toks) and toks[k + 3].text == "function"
            ):
                j = k + 3 if after.text == "async" else k + 2
                j += 1
                if j < len(toks) and toks[j].text == "*":
                    j += 1
                if j < len(toks) and toks[j].kind == "name":
                    cuts.append((tok.start, after.start, ""))
                    exports.append(("default", toks[j].text))
                    k = j + 1
                    continue
            cuts.append((tok.start, after.start, "const __default = "))
            exports.append(("default", "__default"))
            k += 2
            continue
        if nxt.text == "{":
            j = k + 2
            while j < len(toks) and toks[j].text != "}":
                j += 1
            names = _specifiers(toks[k + 2 : j], path, fail, tok)
            if j + 1 < len(toks) and toks[j + 1].text == "from":
                raise fail(tok, "re-export (export ... from) is not supported")
            end = statement_end(j + 1)
            cuts.append((tok.start, toks[end - 1].end, ""))
            exports.extend((exported, local) for local, exported in names)
            k = end
            continue
        if nxt.text == "*":
            raise fail(tok, "export * is not supported")
        j = k + 1
        if toks[j].text == "async":
            j += 1
        kind = toks[j].text
        if kind in ("function", "class"):
            j += 1
            if kind == "function" and j < len(toks) and toks[j].text == "*":
                j += 1
            if j >= len(toks) or toks[j].kind != "name":
                raise fail(tok, f"export {kind} without a name")
            cuts.append((tok.start, nxt.start, ""))
            exports.append((toks[j].text, toks[j].text))
            k = j + 1
            continue
        if kind in ("const", "let", "var"):
            name = toks[j + 1] if j + 1 < len(toks) else None
            if name is None or name.kind != "name":
                raise fail(tok, f"export {kind} of a pattern is not supported")
            # One declarator only: a comma at the statement's own depth means more.
            m = j + 2
            while m < len(toks) and not (toks[m].text == ";" and toks[m].depth == 0):
                if toks[m].text == "," and toks[m].depth == 0:
                    raise fail(tok, f"export {kind} of several names is not supported")
                if toks[m].depth == 0 and toks[m].text in _STATEMENT_WORDS and is_keyword(m):
                    break  # a statement without its semicolon ended before this one
                m += 1
            cuts.append((tok.start, nxt.start, ""))
            exports.append((name.text, name.text))
            k = j + 2
            continue
        raise fail(tok, f"export {nxt.text!r} is not supported")
    body = text
    for start, end, replacement in sorted(cuts, reverse=True):
        body = body[:start] + replacement + body[end:]
    return Module(path, body, tuple(imports), tuple(exports))


def _specifiers(toks: list[_Token], path: str, fail, at: _Token) -> list[tuple[str, str]]:
    """`a, b as c` inside braces, as (local, exported) for exports / (imported, local) pairs."""
    out: list[tuple[str, str]] = []
    j = 0
    while j < len(toks):
        if toks[j].text == ",":
            j += 1
            continue
        if toks[j].kind != "name":
            raise fail(at, f"unexpected {toks[j].text!r} in braces")
        first = toks[j].text
        if j + 2 < len(toks) and toks[j + 1].text == "as":
            if toks[j + 2].kind != "name":
                raise fail(at, f"unexpected {toks[j + 2].text!r} after 'as'")
            out.append((first, toks[j + 2].text))
            j += 3
        else:
            out.append((first, first))
            j += 1
    return out


def _parse_import(toks, k, path, imports, cuts, fail, statement_end) -> int:
    tok = toks[k]
    j = k + 1
    bindings: list[tuple[str, str]] = []
    if toks[j].kind == "string":  # import "./x.js";
        end = statement_end(j + 1)
        imports.append(Import(_string_value(toks[j]), (), tok.start, toks[end - 1].end))
        cuts.append((tok.start, toks[end - 1].end, ""))
        return end
    if toks[j].kind == "name" and toks[j].text != "from":
        bindings.append((toks[j].text, "default"))
        j += 1
        if toks[j].text == ",":
            j += 1
        elif toks[j].text != "from":
            raise fail(tok, f"unexpected {toks[j].text!r} in import")
    if toks[j].text == "*":
        if toks[j + 1].text != "as" or toks[j + 2].kind != "name":
            raise fail(tok, "import * without 'as NAME'")
        bindings.append((toks[j + 2].text, "*"))
        j += 3
    elif toks[j].text == "{":
        m = j + 1
        while m < len(toks) and toks[m].text != "}":
            m += 1
        bindings.extend(
            (local, imported) for imported, local in _specifiers(toks[j + 1 : m], path, fail, tok)
        )
        j = m + 1
    if toks[j].text != "from" or toks[j + 1].kind != "string":
        raise fail(tok, "import form not understood (expected 'from \"./file.js\"')")
    end = statement_end(j + 2)
    if end < len(toks) and toks[end - 1].text != ";" and toks[end].text in ("assert", "with"):
        raise fail(tok, "import attributes are not supported")
    imports.append(
        Import(_string_value(toks[j + 1]), tuple(bindings), tok.start, toks[end - 1].end)
    )
    cuts.append((tok.start, toks[end - 1].end, ""))
    return end


# --- bundling ----------------------------------------------------------------------------


def _resolve(importer: str, specifier: str) -> str:
    if not specifier.startswith(("./", "../")):
        raise BundleError(f"{importer}: bare or absolute specifier {specifier!r} is not supported")
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(importer), specifier))
    if resolved.startswith("../") or resolved == "..":
        raise BundleError(f"{importer}: {specifier!r} leaves the front-end directory")
    return resolved


def bundle(root: str, entry: str) -> str:
    """One module script's text: `entry` and every module it imports, inlined.

    Args:
      root: The front-end directory (`frontend/`, or `tb_plugin/static` in a wheel).
      entry: The entry module's path under `root`, POSIX-style (`report_main.js`).

    Returns:
      JavaScript for one ``<script type="module">``: each module a function scope run
      once in dependency order, the entry's last. Deterministic (the same files give the
      same text, so the report's script hash is stable).

    Raises:
      BundleError: A missing module, an import cycle, an unknown import or export form,
        an import of a name the module does not export, or text that would close the
        script element (`</script`, `<!--`).
    """
    modules: dict[str, Module] = {}
    order: list[str] = []
    visiting: list[str] = []

    def visit(path: str) -> None:
        if path in modules:
            return
        if path in visiting:
            cycle = " -> ".join([*visiting[visiting.index(path) :], path])
            raise BundleError(f"import cycle: {cycle}")
        visiting.append(path)
        full = os.path.join(root, *path.split("/"))
        try:
            with open(full, encoding="utf-8") as f:
                text = f.read()
        except OSError as e:
            raise BundleError(f"cannot read module {path}: {e.strerror}") from None
        module = parse_module(text, path)
        for imp in module.imports:
            visit(_resolve(path, imp.source))
        visiting.pop()
        modules[path] = module
        order.append(path)

    visit(entry)
    ids = {path: f"__rg_m{i}" for i, path in enumerate(order)}
    parts = [f"// Run Groups report: {len(order)} modules inlined by tb_plugin/bundle.py.\n"]
    for path in order:
        module = modules[path]
        lines = []
        for imp in module.imports:
            source = _resolve(path, imp.source)
            exported = dict(modules[source].exports)
            for local, name in imp.bindings:
                if name == "*":
                    lines.append(f"const {local} = {ids[source]};")
                    continue
                if name not in exported:
                    raise BundleError(f"{path}: {source} does not export {name!r}")
                lines.append(f"const {local} = {ids[source]}[{_js_string(name)}];")
        names = ", ".join(f"{_js_string(name)}: {local}" for name, local in module.exports)
        parts.append(
            f"// --- {path}\n"
            f"const {ids[path]} = Object.freeze((() => {{\n"
            + "".join(line + "\n" for line in lines)
            + module.body.rstrip()
            + f"\nreturn {{ {names} }};\n}})());\n"
        )
    out = "".join(parts)
    lowered = out.lower()
    for closer in ("</script", "<!--"):
        if closer in lowered:
            raise BundleError(f"the bundle holds {closer!r}, which would end its script element")
    return out


def _js_string(text: str) -> str:
    if not re.fullmatch(r"[A-Za-z_$][\w$]*", text):
        raise BundleError(f"export name {text!r} is not a plain identifier")
    return f'"{text}"'
