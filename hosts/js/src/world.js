// Checking, when a transpiled component is loaded, that its exports (and the backend functions
// it imports) have the types of the `runtime-store` world, naming the first function that
// differs: jco would otherwise lower and lift values by the component's own types, so a
// component exporting `get(game-id: u32)` would be called with a string misread as a number.
//
// The types are read from the TypeScript declarations jco writes for each interface
// (`interfaces/galaxy-gamemaster-*.d.ts`), or from the `declarations` that
// `scripts/transpile.mjs` records in `component.json`, and compared with the package's own
// component's (recorded when the package is built). The comparison is as fine as those
// declarations: every function's parameters and result, every record's fields, every
// variant's and enum's cases, options; integer types that JavaScript represents alike (u32
// and s32 are both `number`) are not told apart.

/** The interfaces a component is checked on, and whether the component exports them. */
export const CHECKED_INTERFACES = /** @type {const} */ ({
  'galaxy:gamemaster/store@0.2.0': 'export',
  'galaxy:gamemaster/rules@0.2.0': 'export',
  'galaxy:gamemaster/backend@0.2.0': 'import',
});

/**
 * What a transpilation declares: each interface's functions (name → declaration) and every
 * named type (name → declaration), whitespace normalised.
 * @typedef {object} Declarations
 * @property {Record<string, Record<string, string>>} functions by interface, then function (WIT name)
 * @property {Record<string, string>} types by TypeScript name
 */

/** A component whose types differ from the `runtime-store` world's. */
export class ComponentMismatch extends Error {
  /**
   * @param {string} message
   * @param {{interface?: string, function?: string}} [where] the interface and function (or type) that differ
   */
  constructor(message, where = {}) {
    super(message);
    this.name = 'ComponentMismatch';
    /** The interface that differs (`galaxy:gamemaster/store@0.2.0`), if one does. */
    this.interface = where.interface;
    /** The function (`get`) or type that differs, if one does. */
    this.function = where.function;
  }
}

/**
 * The declarations in jco's TypeScript output: `files` maps file names to their text; only
 * the `interfaces/*.d.ts` files count.
 * @param {Record<string, string>} files
 * @returns {Declarations}
 */
export function declarationsOf(files) {
  /** @type {Declarations} */
  const found = { functions: {}, types: {} };
  for (const [name, text] of Object.entries(files)) {
    if (!/(^|\/)interfaces\/[^/]+\.d\.ts$/.test(name)) continue;
    const module = /@module Interface (\S+)/.exec(text);
    if (module === null) continue;
    const functions = (found.functions[module[1]] ??= {});
    // Without comments, one declaration per statement.
    const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/[^\n]*/g, '');
    for (const statement of statements(code)) {
      const declared = /^(?:export )?function (\w+)\s*\(([\s\S]*)\)\s*:\s*([\s\S]+)$/.exec(statement);
      if (declared !== null) {
        // `delete` is declared as `_delete` (a keyword); names go back to their WIT form.
        const [, tsName, params, result] = declared;
        const witName = kebab(tsName.replace(/^_/, ''));
        // Parameter names are not part of the contract: only their types are compared.
        const types = topLevel(params, ',').map((param) => normalise(param.replace(/^\s*\w+\??\s*:/, '')));
        functions[witName] = `(${types.join(', ')}): ${normalise(result)}`;
        continue;
      }
      const type = /^export (?:type|interface) (\w+)([\s\S]*)$/.exec(statement);
      if (type !== null && !/^\s*=\s*import\(/.test(type[2])) found.types[type[1]] = normalise(type[2]);
    }
  }
  return found;
}

/**
 * Refuses `found` unless every function the world gives an exported interface is declared
 * with its type, every backend function found is, and every type both name is the same.
 * @param {Declarations} found
 * @param {Declarations} expected the package's own component's
 * @param {string} where the component's folder, for the message
 */
export function checkDeclarations(found, expected, where) {
  for (const [iface, kind] of Object.entries(CHECKED_INTERFACES)) {
    const wanted = expected.functions[iface] ?? {};
    const declared = found.functions[iface];
    if (declared === undefined) {
      if (kind === 'import') continue; // a component imports only what it calls
      throw new ComponentMismatch(`${where}: the rules component does not export ${iface}`, { interface: iface });
    }
    const names = kind === 'export' ? Object.keys(wanted) : Object.keys(declared);
    for (const name of names) {
      const prefix = `${where}: the rules component's ${kind} \`${name}\` of ${iface}`;
      if (!Object.hasOwn(wanted, name)) {
        throw new ComponentMismatch(`${prefix} is not a function of the runtime-store world`, { interface: iface, function: name });
      }
      if (!Object.hasOwn(declared, name)) {
        throw new ComponentMismatch(`${prefix} is missing`, { interface: iface, function: name });
      }
      if (declared[name] !== wanted[name]) {
        throw new ComponentMismatch(
          `${prefix} does not have the type the runtime-store world gives it ` +
            `(declared ${name}${declared[name]}, expected ${name}${wanted[name]})`,
          { interface: iface, function: name },
        );
      }
    }
  }
  for (const [name, declared] of Object.entries(found.types)) {
    const wanted = expected.types[name];
    if (wanted !== undefined && wanted !== declared) {
      throw new ComponentMismatch(
        `${where}: the rules component's type \`${name}\` is not the runtime-store world's ` +
          `(declared ${name}${declared}, expected ${name}${wanted})`,
        { function: name },
      );
    }
  }
}

/**
 * The statements of declaration code: split at `;` and at the `}` closing a top-level block.
 * @param {string} code
 */
function statements(code) {
  const found = [];
  let depth = 0;
  let start = 0;
  for (let index = 0; index < code.length; index += 1) {
    const char = code[index];
    if (char === '{') depth += 1;
    else if (char === '}') {
      depth -= 1;
      if (depth === 0) {
        found.push(code.slice(start, index + 1));
        start = index + 1;
      }
    } else if (char === ';' && depth === 0) {
      found.push(code.slice(start, index));
      start = index + 1;
    }
  }
  found.push(code.slice(start));
  return found.map((statement) => statement.trim()).filter((statement) => statement !== '');
}

/**
 * `text` split at `separator` where no bracket is open.
 * @param {string} text
 * @param {string} separator
 */
function topLevel(text, separator) {
  const parts = [];
  let depth = 0;
  let start = 0;
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index];
    if ('<({['.includes(char)) depth += 1;
    else if ('>)}]'.includes(char)) depth -= 1;
    else if (char === separator && depth === 0) {
      parts.push(text.slice(start, index));
      start = index + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.filter((part) => part.trim() !== '');
}

/** @param {string} text */
function normalise(text) {
  return text.replace(/\s+/g, ' ').replace(/,\s*}/g, ' }').trim();
}

/** @param {string} camel `updateStatus` → `update-status` */
function kebab(camel) {
  return camel.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}
