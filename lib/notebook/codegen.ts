/**
 * Turns a notebook's code cells into one TypeScript module, the way the
 * headless runner executes them: cells in order at module top level, each
 * between `__nb.begin("<id>")` and `await __nb.end("<id>")`, so top-level
 * names stay shared across cells as in a kernel session.
 *
 * Differences from a kernel, and how they are handled:
 * - Static imports are hoisted (ES semantics) and collected at the top of the
 *   module; the same binding imported again in a later cell (common in
 *   notebooks) is imported once. One name bound to two different imports is
 *   an error naming both cells.
 * - A top-level `const`/`let`/`class`/`function` name can be declared only
 *   once in a module, whereas a kernel lets a later cell redeclare it. A scan
 *   finds such redeclarations and reports both cells (declare the name once
 *   with `let` and assign to it later). The scan sees simple forms (one
 *   declarator, plain destructuring); anything it misses fails at load time
 *   with the engine's SyntaxError, mapped back to the cell.
 * - Relative specifiers (`"../lib/…"`, also in `import("…")`) are rewritten
 *   to absolute `file://` URLs based on the notebook's folder, so the module
 *   can live under the output folder.
 * - `import.meta` is refused: it does not exist in kernel cells
 *   (docs/environment.md#kernel-cells), so a notebook using it would only
 *   work headless.
 * - A cell's last expression is not shown (a kernel shows it as
 *   `execute_result`); cells `await display(...)` instead.
 *
 * @module
 */

import { type Cell, joinSource, NotebookError } from "./notebook.ts";

/** Where one cell sits in the generated module. */
export interface CellSpan {
  /** Cell id. */
  id: string;
  /** Index of the cell in the notebook (0-based, all cell types). */
  index: number;
  /** 1-based line of the cell's first source line in the module. */
  firstLine: number;
  /** Number of source lines. */
  lines: number;
}

/** The generated module and its line map. */
export interface GeneratedModule {
  /** TypeScript source. */
  source: string;
  /** The code cells, in order. */
  cells: CellSpan[];
}

/** Options of {@link generateModule}. */
export interface GenerateOptions {
  /** Notebook name or path, for error messages. */
  notebook: string;
  /** Absolute path of the notebook's folder (relative imports resolve here). */
  notebookDir: string;
  /** URL of `runtime.ts` (the module exporting `__nb`). */
  runtimeUrl: string;
}

/**
 * Replaces the insides of comments, string literals, template literals and
 * regular-expression literals with spaces (newlines kept, so positions and
 * lines are unchanged); quotes and code inside `${…}` stay. Lets simple
 * scans look at code only.
 */
export function maskCode(src: string): string {
  const out = src.split("");
  const n = src.length;
  const blank = (a: number, b: number) => {
    for (let k = a; k < b && k < n; k++) if (out[k] !== "\n") out[k] = " ";
  };
  // Stack of open braces; "${" marks a template substitution.
  const braces: string[] = [];
  let prev = ""; // last significant code character
  let word = ""; // identifier ending at `prev`, if any
  const regexAfterWord = new Set([
    "return",
    "typeof",
    "case",
    "do",
    "else",
    "in",
    "of",
    "new",
    "delete",
    "void",
    "throw",
    "instanceof",
    "yield",
    "await",
  ]);
  // Scans template text from `i` (just after "`" or a closing "}");
  // returns where code resumes.
  const template = (i: number): number => {
    const start = i;
    while (i < n) {
      if (src[i] === "\\") i += 2;
      else if (src[i] === "`") {
        blank(start, i);
        prev = "`";
        word = "";
        return i + 1;
      } else if (src[i] === "$" && src[i + 1] === "{") {
        blank(start, i + 2);
        braces.push("${");
        prev = "{";
        word = "";
        return i + 2;
      } else i++;
    }
    blank(start, n);
    return n;
  };
  let i = 0;
  while (i < n) {
    const c = src[i];
    if (c === "/" && src[i + 1] === "/") {
      const j = src.indexOf("\n", i);
      const end = j < 0 ? n : j;
      blank(i, end);
      i = end;
    } else if (c === "/" && src[i + 1] === "*") {
      const j = src.indexOf("*/", i + 2);
      const end = j < 0 ? n : j + 2;
      blank(i, end);
      i = end;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < n && src[j] !== c && src[j] !== "\n") {
        j += src[j] === "\\" ? 2 : 1;
      }
      blank(i + 1, j);
      i = j + 1;
      prev = c;
      word = "";
    } else if (c === "`") {
      i = template(i + 1);
    } else if (
      c === "/" &&
      (prev === "" || "(,=:[!&|?{};+-*%<>~^".includes(prev) ||
        regexAfterWord.has(word))
    ) {
      let j = i + 1;
      let inClass = false;
      while (j < n && src[j] !== "\n") {
        if (src[j] === "\\") j++;
        else if (src[j] === "[") inClass = true;
        else if (src[j] === "]") inClass = false;
        else if (src[j] === "/" && !inClass) break;
        j++;
      }
      blank(i + 1, j);
      i = j + 1;
      prev = "/";
      word = "";
    } else if (c === "}" && braces[braces.length - 1] === "${") {
      braces.pop();
      out[i] = " ";
      i = template(i + 1);
    } else {
      if (c === "{") braces.push("{");
      else if (c === "}") braces.pop();
      if (!/\s/.test(c)) {
        word = /[\w$]/.test(c) ? (/[\w$]/.test(prev) ? word + c : c) : "";
        prev = c;
      }
      i++;
    }
  }
  return out.join("");
}

/** Bracket depth (`{[(`) at each position of masked code. */
function depths(masked: string): Int32Array {
  const d = new Int32Array(masked.length);
  let depth = 0;
  for (let i = 0; i < masked.length; i++) {
    const c = masked[i];
    if (c === "}" || c === "]" || c === ")") depth--;
    d[i] = depth;
    if (c === "{" || c === "[" || c === "(") depth++;
  }
  return d;
}

/** Index of the bracket matching the one at `open` in masked code. */
function matching(masked: string, open: number): number {
  let depth = 0;
  for (let i = open; i < masked.length; i++) {
    const c = masked[i];
    if (c === "{" || c === "[" || c === "(") depth++;
    else if (c === "}" || c === "]" || c === ")") {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/** Splits at commas outside brackets. */
function splitTop(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if ("{[(".includes(c)) depth++;
    else if ("}])".includes(c)) depth--;
    else if (c === "," && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

/** Binding names of a destructuring pattern (`{a, b: c, ...d}`, `[x, y]`). */
export function patternNames(pattern: string): string[] {
  const body = pattern.trim().slice(1, -1);
  const names: string[] = [];
  const object = pattern.trim().startsWith("{");
  for (let part of splitTop(body)) {
    part = part.replace(/^\.\.\./, "").trim();
    let depth = 0;
    let cut = part.length;
    let colon = -1;
    for (let i = 0; i < part.length; i++) {
      const c = part[i];
      if ("{[(".includes(c)) depth++;
      else if ("}])".includes(c)) depth--;
      else if (depth === 0 && c === "=" && part[i + 1] !== ">") {
        cut = i;
        break;
      } else if (depth === 0 && c === ":" && object && colon < 0) colon = i;
    }
    let target = part.slice(colon >= 0 ? colon + 1 : 0, cut).trim();
    if (colon >= 0 && colon > cut) target = part.slice(0, cut).trim();
    if (target.startsWith("{") || target.startsWith("[")) {
      names.push(...patternNames(target));
    } else if (/^[A-Za-z_$][\w$]*$/.test(target)) names.push(target);
  }
  return names;
}

/** A top-level declaration found by {@link scanDeclarations}. */
export interface Declaration {
  /** Declared name. */
  name: string;
  /** `const`, `let`, `var`, `class` or `function`. */
  kind: "const" | "let" | "var" | "class" | "function";
}

/**
 * Top-level `const`/`let`/`var`/`class`/`function` names declared in a piece
 * of code (simple forms: the first declarator, plain destructuring).
 */
export function scanDeclarations(code: string): Declaration[] {
  const masked = maskCode(code);
  const depth = depths(masked);
  const found: Declaration[] = [];
  const re =
    /(^|[;\n}])[ \t]*(?:export[ \t]+)?(const|let|var|class|(?:async[ \t]+)?function[ \t]*\*?)[ \t]*(?=[A-Za-z_$[{])/g;
  for (const m of masked.matchAll(re)) {
    const at = m.index! + m[1].length;
    if (depth[at] !== 0) continue;
    const kind =
      (m[2].includes("function") ? "function" : m[2]) as Declaration["kind"];
    const rest = m.index! + m[0].length;
    const first = masked[rest];
    if (first === "{" || first === "[") {
      if (kind === "class" || kind === "function") continue;
      const close = matching(masked, rest);
      if (close < 0) continue;
      for (const name of patternNames(masked.slice(rest, close + 1))) {
        found.push({ name, kind });
      }
    } else {
      const name = /^[A-Za-z_$][\w$]*/.exec(masked.slice(rest))![0];
      // `let` used as an identifier is not a declaration of note.
      if (name === "of" || name === "in") continue;
      found.push({ name, kind });
    }
  }
  return found;
}

/** One binding of a static import. */
interface ImportBinding {
  /** Local name, or null for a side-effect import. */
  local: string | null;
  /** `default`, `*` or the exported name. */
  imported: string;
  /** Resolved specifier. */
  specifier: string;
  /** Import attributes text (`with { type: "json" }`), or "". */
  attributes: string;
  /** Type-only binding. */
  typeOnly: boolean;
  /** Cell that first imported it. */
  cell: string;
}

/** Resolves a relative or absolute-path specifier against a folder. */
export function resolveSpecifier(specifier: string, dir: string): string {
  if (
    specifier.startsWith("./") || specifier.startsWith("../") ||
    specifier.startsWith("/")
  ) {
    const base = new URL(`file://${encodeURI(dir.replace(/\/?$/, "/"))}`);
    return new URL(specifier, base).href;
  }
  return specifier;
}

function parseClause(
  clause: string,
  where: () => string,
): { local: string; imported: string; typeOnly: boolean }[] {
  const out: { local: string; imported: string; typeOnly: boolean }[] = [];
  let rest = clause.trim();
  const ident = /^[A-Za-z_$][\w$]*/;
  if (!rest.startsWith("{") && !rest.startsWith("*")) {
    const def = ident.exec(rest);
    if (!def) throw new Error(`${where()}: cannot read import '${clause}'`);
    out.push({ local: def[0], imported: "default", typeOnly: false });
    rest = rest.slice(def[0].length).trim().replace(/^,/, "").trim();
  }
  if (rest.startsWith("*")) {
    const ns = /^\*\s*as\s+([A-Za-z_$][\w$]*)$/.exec(rest);
    if (!ns) throw new Error(`${where()}: cannot read import '${clause}'`);
    out.push({ local: ns[1], imported: "*", typeOnly: false });
  } else if (rest.startsWith("{")) {
    for (const spec of splitTop(rest.slice(1, rest.lastIndexOf("}")))) {
      const m =
        /^(type\s+)?([A-Za-z_$][\w$]*|"[^"]*"|'[^']*')(?:\s+as\s+([A-Za-z_$][\w$]*))?$/
          .exec(spec);
      if (!m) throw new Error(`${where()}: cannot read import '${spec}'`);
      out.push({
        local: m[3] ?? m[2],
        imported: m[2],
        typeOnly: Boolean(m[1]),
      });
    }
  } else if (rest !== "") {
    throw new Error(`${where()}: cannot read import '${clause}'`);
  }
  return out;
}

function importStatement(b: ImportBinding): string {
  const from = `${JSON.stringify(b.specifier)}${
    b.attributes ? " " + b.attributes : ""
  };`;
  if (b.local === null) return `import ${from}`;
  const type = b.typeOnly ? "type " : "";
  if (b.imported === "*") return `import ${type}* as ${b.local} from ${from}`;
  if (b.imported === "default") {
    return `import ${type}${b.local} from ${from}`;
  }
  const name = b.imported === b.local ? b.local : `${b.imported} as ${b.local}`;
  return `import ${type}{ ${name} } from ${from}`;
}

function lineOf(text: string, at: number): number {
  let line = 1;
  for (let i = 0; i < at; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/**
 * Generates the module for a notebook's code cells (see the module
 * documentation). Throws a {@link NotebookError} naming the notebook and
 * cell for `import.meta`, conflicting imports and redeclared names.
 */
export function generateModule(
  cells: readonly Cell[],
  options: GenerateOptions,
): GeneratedModule {
  const bindings = new Map<string, ImportBinding>();
  const sideEffects = new Map<string, ImportBinding>();
  const ordered: ImportBinding[] = [];
  const declared = new Map<string, { cell: string; kind: string }>();
  const bodies: { cell: Cell; index: number; text: string }[] = [];

  cells.forEach((cell, index) => {
    if (cell.cell_type !== "code") return;
    const id = cell.id;
    const fail = (detail: string): never => {
      throw new NotebookError(options.notebook, detail, { index, id });
    };
    const original = joinSource(cell.source);
    const masked = maskCode(original);
    const depth = depths(masked);
    const meta = /\bimport\s*\.\s*meta\b/.exec(masked);
    if (meta) {
      fail(
        `line ${
          lineOf(original, meta.index)
        }: import.meta is not available in Jupyter cells; move the code into lib/`,
      );
    }
    // Edits to the original text: [start, end, replacement].
    const edits: [number, number, string][] = [];
    const declare = (name: string, kind: string) => {
      const prior = declared.get(name);
      const allowed = (prior?.kind === "var" && kind === "var") ||
        // TypeScript overload signatures repeat a function in one cell.
        (prior?.kind === "function" && kind === "function" &&
          prior.cell === id);
      if (prior && !allowed) {
        const same = prior.cell === id;
        fail(
          `'${name}' is declared again (${kind})${
            same
              ? " in the same cell"
              : `; first declared in cell '${prior.cell}'`
          }. The headless runner executes all cells as one module, where a top-level name can be declared only once: declare it once (with let) and assign to it in later cells`,
        );
      }
      declared.set(name, { cell: id, kind });
    };

    for (const m of masked.matchAll(/\bimport\b/g)) {
      const at = m.index!;
      if (depth[at] !== 0) continue;
      if (at > 0 && /[\w$.]/.test(masked[at - 1])) continue;
      const after = masked.slice(at + 6).trimStart()[0];
      if (after === "(" || after === ".") continue; // dynamic / import.meta
      const text = original.slice(at);
      const where = () => `${options.notebook}: cell '${id}'`;
      const side =
        /^import\s*(["'])([^"'\n]+)\1(\s*(?:with|assert)\s*\{[^}]*\})?[ \t]*;?/
          .exec(text);
      const full =
        /^import\s+(type\s+)?([\s\S]*?)\s*from\s*(["'])([^"'\n]+)\3(\s*(?:with|assert)\s*\{[^}]*\})?[ \t]*;?/
          .exec(text);
      const match = side ?? full;
      if (!match) fail(`line ${lineOf(original, at)}: cannot read this import`);
      const stmt = match![0];
      const newlines = stmt.replace(/[^\n]/g, "");
      edits.push([at, at + stmt.length, newlines]);
      if (side) {
        const specifier = resolveSpecifier(side[2], options.notebookDir);
        if (!sideEffects.has(specifier)) {
          const b: ImportBinding = {
            local: null,
            imported: "",
            specifier,
            attributes: (side[3] ?? "").trim(),
            typeOnly: false,
            cell: id,
          };
          sideEffects.set(specifier, b);
          ordered.push(b);
        }
        continue;
      }
      const specifier = resolveSpecifier(full![4], options.notebookDir);
      let parsed;
      try {
        parsed = parseClause(full![2], where);
      } catch (err) {
        fail((err as Error).message.replace(`${where()}: `, ""));
      }
      for (const p of parsed!) {
        const b: ImportBinding = {
          local: p.local,
          imported: p.imported,
          specifier,
          attributes: (full![5] ?? "").trim(),
          typeOnly: Boolean(full![1]) || p.typeOnly,
          cell: id,
        };
        const prior = bindings.get(p.local);
        if (prior) {
          if (
            prior.specifier !== b.specifier || prior.imported !== b.imported
          ) {
            fail(
              `'${p.local}' is imported from ${b.specifier} (${b.imported}) but cell '${prior.cell}' imported it from ${prior.specifier} (${prior.imported}); one module can bind a name once`,
            );
          }
          // A value import wins over a type-only one of the same binding.
          if (prior.typeOnly && !b.typeOnly) prior.typeOnly = false;
          continue;
        }
        const decl = declared.get(p.local);
        if (decl) {
          fail(
            `'${p.local}' is imported here but declared in cell '${decl.cell}'`,
          );
        }
        bindings.set(p.local, b);
        ordered.push(b);
      }
    }
    for (const m of masked.matchAll(/\bimport\s*\(\s*(["'])/g)) {
      const q = m.index! + m[0].length; // just after the opening quote
      const close = original.indexOf(m[1], q);
      const spec = original.slice(q, close);
      if (close > 0 && /^\.{1,2}\//.test(spec)) {
        edits.push([q, close, resolveSpecifier(spec, options.notebookDir)]);
      }
    }
    let text = original;
    for (const [a, b, r] of edits.sort((x, y) => y[0] - x[0])) {
      text = text.slice(0, a) + r + text.slice(b);
    }
    for (const d of scanDeclarations(text)) {
      if (bindings.has(d.name)) {
        fail(
          `'${d.name}' is declared here but imported in cell '${
            bindings.get(d.name)!.cell
          }'`,
        );
      }
      declare(d.name, d.kind);
    }
    bodies.push({ cell, index, text });
  });

  const header = [
    `// Generated from ${options.notebook} by lib/notebook/runner.ts; do not edit.`,
    `import { __nb } from ${JSON.stringify(options.runtimeUrl)};`,
    ...ordered.map(importStatement),
  ];
  const lines = [...header];
  const spans: CellSpan[] = [];
  for (const { cell, index, text } of bodies) {
    lines.push(`;__nb.begin(${JSON.stringify(cell.id)});`);
    const body = text.endsWith("\n") ? text.slice(0, -1) : text;
    const bodyLines = body.split("\n");
    spans.push({
      id: cell.id,
      index,
      firstLine: lines.length + 1,
      lines: bodyLines.length,
    });
    lines.push(...bodyLines);
    lines.push(`;await __nb.end(${JSON.stringify(cell.id)});`);
  }
  return { source: lines.join("\n") + "\n", cells: spans };
}

/** The cell (and line within it) of a 1-based line of the generated module. */
export function cellAtLine(
  module: GeneratedModule,
  line: number,
): { span: CellSpan; line: number } | null {
  for (const span of module.cells) {
    if (line >= span.firstLine && line < span.firstLine + span.lines) {
      return { span, line: line - span.firstLine + 1 };
    }
  }
  return null;
}
