/**
 * MurmurHash3, x86 32-bit variant (Austin Appleby's public-domain
 * algorithm), over bytes or over the UTF-8 bytes of a string. It is the fixed
 * hash behind every hashed feature of this package, so bucket ids are the
 * same on every machine and in every language that has MurmurHash3.
 *
 * @module
 */

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/** Hashes the first `length` bytes of `bytes`. */
function hashPrefix(bytes: Uint8Array, length: number, seed: number): number {
  let h = seed >>> 0;
  const blocks = length & ~3;
  for (let i = 0; i < blocks; i += 4) {
    let k = bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) |
      (bytes[i + 3] << 24);
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  switch (length & 3) {
    case 3:
      k ^= bytes[blocks + 2] << 16;
    // falls through
    case 2:
      k ^= bytes[blocks + 1] << 8;
    // falls through
    case 1:
      k ^= bytes[blocks];
      k = Math.imul(k, C1);
      k = (k << 15) | (k >>> 17);
      k = Math.imul(k, C2);
      h ^= k;
  }
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * MurmurHash3 x86_32 of a byte array, as an unsigned 32-bit integer.
 * `seed` is taken modulo 2^32.
 */
export function murmur3Bytes(bytes: Uint8Array, seed = 0): number {
  return hashPrefix(bytes, bytes.length, seed);
}

// Reused between calls so that hashing a string allocates nothing; grown
// when a string could need more than its UTF-8 worst case (3 bytes per
// UTF-16 code unit). Encoding by hand is about 4x faster than
// `TextEncoder.encodeInto` for the short units hashed here.
let scratch = new Uint8Array(1024);

/**
 * Writes the UTF-8 encoding of `text[start, end)` into `scratch` and returns
 * the byte count. Lone surrogates become U+FFFD, as with `TextEncoder`.
 */
function encodeUtf8(text: string, start: number, end: number): number {
  const need = (end - start) * 3;
  if (need > scratch.length) {
    scratch = new Uint8Array(Math.max(need, scratch.length * 2));
  }
  const out = scratch;
  let n = 0;
  for (let i = start; i < end; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      out[n++] = c;
      continue;
    }
    if (c < 0x800) {
      out[n++] = 0xc0 | (c >> 6);
      out[n++] = 0x80 | (c & 0x3f);
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const d = i + 1 < end ? text.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
        out[n++] = 0xf0 | (c >> 18);
        out[n++] = 0x80 | ((c >> 12) & 0x3f);
        out[n++] = 0x80 | ((c >> 6) & 0x3f);
        out[n++] = 0x80 | (c & 0x3f);
        continue;
      }
      c = 0xfffd;
    }
    out[n++] = 0xe0 | (c >> 12);
    out[n++] = 0x80 | ((c >> 6) & 0x3f);
    out[n++] = 0x80 | (c & 0x3f);
  }
  return n;
}

/**
 * MurmurHash3 x86_32 of the UTF-8 encoding of `text` (lone surrogates are
 * encoded as U+FFFD, as `TextEncoder` does), as an unsigned 32-bit integer.
 */
export function murmur3String(text: string, seed = 0): number {
  // Encode first: encoding may replace `scratch` with a larger buffer.
  const n = encodeUtf8(text, 0, text.length);
  return hashPrefix(scratch, n, seed);
}
