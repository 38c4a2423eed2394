// Bounding a core module's linear memory: the memory section's limits are rewritten so each
// memory the module defines has a maximum of at most `pages`. Growing past it makes
// `memory.grow` fail inside the guest (which then traps), exactly as a maximum written by
// the compiler would.

/** Bytes per WebAssembly page. */
export const PAGE_SIZE = 65536;
/** The most pages a 32-bit memory can have (4 GiB). */
export const MAX_PAGES = 65536;

const MEMORY_SECTION = 5;

/**
 * @param {Uint8Array} bytes
 * @param {number} offset
 * @returns {[number, number]} the value and the offset after it
 */
function readU32(bytes, offset) {
  let value = 0;
  let shift = 0;
  let position = offset;
  for (;;) {
    if (position >= bytes.length) throw new Error('truncated LEB128 integer');
    const byte = bytes[position++];
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return [value, position];
    shift += 7;
    if (shift > 28) throw new Error('LEB128 integer too long');
  }
}

/** @param {number} value */
function writeU32(value) {
  const out = [];
  let rest = value;
  do {
    let byte = rest % 128;
    rest = Math.floor(rest / 128);
    if (rest !== 0) byte |= 0x80;
    out.push(byte);
  } while (rest !== 0);
  return out;
}

/**
 * The pages each memory defined by the module asks for at start (its minimum).
 * @param {Uint8Array} bytes a core module
 * @returns {number[]}
 */
export function initialPages(bytes) {
  const pages = [];
  for (const section of sections(bytes)) {
    if (section.id !== MEMORY_SECTION) continue;
    for (const memory of memories(bytes, section.start, section.end)) pages.push(memory.min);
  }
  return pages;
}

/**
 * `bytes` with every memory it defines bounded to at most `pages` pages (a lower maximum
 * already there is kept). Throws a RangeError when a memory needs more than `pages` at start.
 * @param {Uint8Array} bytes a core module
 * @param {number} pages
 * @returns {Uint8Array<ArrayBuffer>}
 */
export function boundMemories(bytes, pages) {
  /** @type {Uint8Array[]} */
  const parts = [];
  let copiedTo = 0;
  for (const section of sections(bytes)) {
    if (section.id !== MEMORY_SECTION) continue;
    const content = [];
    const list = memories(bytes, section.start, section.end);
    content.push(...writeU32(list.length));
    for (const memory of list) {
      if (memory.min > pages) {
        throw new RangeError(
          `the component needs ${memory.min * PAGE_SIZE} bytes of memory at start, over the limit of ${pages * PAGE_SIZE} bytes`,
        );
      }
      const maximum = Math.min(memory.max ?? pages, pages);
      content.push(memory.shared ? 0x03 : 0x01, ...writeU32(memory.min), ...writeU32(maximum));
    }
    parts.push(bytes.subarray(copiedTo, section.headerStart));
    parts.push(Uint8Array.from([MEMORY_SECTION, ...writeU32(content.length), ...content]));
    copiedTo = section.end;
  }
  parts.push(bytes.subarray(copiedTo));
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * The module's sections.
 * @param {Uint8Array} bytes
 */
function sections(bytes) {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new Error('not a WebAssembly core module');
  }
  const found = [];
  let offset = 8;
  while (offset < bytes.length) {
    const headerStart = offset;
    const id = bytes[offset];
    const [size, start] = readU32(bytes, offset + 1);
    const end = start + size;
    if (end > bytes.length) throw new Error('truncated WebAssembly section');
    found.push({ id, headerStart, start, end });
    offset = end;
  }
  return found;
}

/**
 * The memory types of a memory section.
 * @param {Uint8Array} bytes
 * @param {number} start
 * @param {number} end
 */
function memories(bytes, start, end) {
  let [count, offset] = readU32(bytes, start);
  const list = [];
  for (let index = 0; index < count; index += 1) {
    const flags = bytes[offset++];
    if (flags > 0x03) throw new Error(`unsupported memory type (flags ${flags}): only 32-bit memories can be bounded`);
    let min;
    /** @type {number | undefined} */
    let max;
    [min, offset] = readU32(bytes, offset);
    if (flags & 0x01) [max, offset] = readU32(bytes, offset);
    list.push({ min, max, shared: (flags & 0x02) !== 0 });
  }
  if (offset !== end) throw new Error('malformed memory section');
  return list;
}
