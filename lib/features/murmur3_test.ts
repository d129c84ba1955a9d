import { assertEquals } from "../testing.ts";
import { Rng } from "../data/mod.ts";
import { murmur3Bytes, murmur3String } from "./murmur3.ts";

// A second, deliberately different derivation: BigInt arithmetic modulo 2^32,
// the tail zero-padded into a block, the bytes read through a DataView.
const M = 1n << 32n;
function mul(a: bigint, b: bigint): bigint {
  return (a * b) % M;
}
function rotl(x: bigint, r: bigint): bigint {
  return ((x << r) | (x >> (32n - r))) % M;
}
function fmix(h: bigint): bigint {
  h ^= h >> 16n;
  h = mul(h, 0x85ebca6bn);
  h ^= h >> 13n;
  h = mul(h, 0xc2b2ae35n);
  return h ^ (h >> 16n);
}
function reference(bytes: Uint8Array, seed: number): number {
  const n = bytes.length;
  const padded = new Uint8Array(Math.ceil(n / 4) * 4);
  padded.set(bytes);
  const view = new DataView(padded.buffer);
  let h = BigInt(seed >>> 0);
  for (let off = 0; off < padded.length; off += 4) {
    let k = BigInt(view.getUint32(off, true));
    k = mul(rotl(mul(k, 0xcc9e2d51n), 15n), 0x1b873593n);
    h ^= k;
    if (off + 4 <= n) h = (mul(rotl(h, 13n), 5n) + 0xe6546b64n) % M;
  }
  return Number(fmix(h ^ BigInt(n)));
}

const utf8 = (s: string) => new TextEncoder().encode(s);

// Published vectors (also checked against the `mmh3` Python package while
// writing this test), plus short strings that exercise every tail length.
const VECTORS: [string, number, number][] = [
  ["", 0, 0],
  ["", 1, 0x514e28b7],
  ["", 0xffffffff, 0x81f16f39],
  ["\0\0\0\0", 0, 0x2362f9de],
  ["aaaa", 0x9747b28c, 0x5a97808a],
  ["Hello, world!", 0x9747b28c, 0x24884cba],
  ["The quick brown fox jumps over the lazy dog", 0x9747b28c, 0x2fa826cd],
  ["hello", 0, 0x248bfa47],
  ["abc", 0, 0xb3dd93fa],
  ["abcd", 0, 0x43ed676a],
  ["abcde", 0, 0xe89b9af6],
  ["café", 0, 0x241c0f08],
  ["#go", 1, 0x91a4bdb5],
  ["日本語🙂", 42, 0x3da370d9],
];

Deno.test("murmur3: published and cross-checked vectors", () => {
  for (const [text, seed, want] of VECTORS) {
    assertEquals(murmur3Bytes(utf8(text), seed), want, `bytes ${text}`);
    assertEquals(murmur3String(text, seed), want, `string ${text}`);
    assertEquals(reference(utf8(text), seed), want, `reference ${text}`);
  }
});

Deno.test("murmur3: agrees with the reference on random bytes and strings", () => {
  const rng = new Rng(7);
  for (let t = 0; t < 300; t++) {
    const bytes = new Uint8Array(rng.int(40));
    for (let i = 0; i < bytes.length; i++) bytes[i] = rng.int(256);
    const seed = rng.uint32();
    assertEquals(murmur3Bytes(bytes, seed), reference(bytes, seed));
    let s = "";
    const len = rng.int(12);
    for (let i = 0; i < len; i++) {
      const pool = [0x61, 0xe9, 0x65e5, 0x1f642, 0x20];
      s += String.fromCodePoint(pool[rng.int(pool.length)]);
    }
    assertEquals(murmur3String(s, seed), reference(utf8(s), seed), s);
  }
});

Deno.test("murmur3: long strings grow the scratch buffer", () => {
  const s = "é".repeat(5000);
  assertEquals(murmur3String(s, 3), reference(utf8(s), 3));
  assertEquals(murmur3String("abc", 0), 0xb3dd93fa);
});

Deno.test("murmur3: lone surrogates hash as U+FFFD", () => {
  assertEquals(murmur3String("a\ud800b", 0), murmur3String("a\ufffdb", 0));
});

Deno.test("murmur3: negative seeds are taken modulo 2^32", () => {
  assertEquals(murmur3Bytes(new Uint8Array(), -1), 0x81f16f39);
});

Deno.test("murmur3: hand-written UTF-8 matches TextEncoder", () => {
  const rng = new Rng(11);
  // Every encoding length, surrogate pairs, lone and reversed surrogates.
  const pool = [
    0x41,
    0x7f,
    0x80,
    0x7ff,
    0x800,
    0xfffd,
    0xffff,
    0xd800,
    0xdbff,
    0xdc00,
    0xdfff,
  ];
  for (let t = 0; t < 500; t++) {
    let s = "";
    const len = rng.int(10);
    for (let i = 0; i < len; i++) {
      s += rng.bernoulli(0.2)
        ? String.fromCodePoint(0x10000 + rng.int(0x100000))
        : String.fromCharCode(pool[rng.int(pool.length)]);
    }
    assertEquals(murmur3String(s, t), murmur3Bytes(utf8(s), t), `case ${t}`);
  }
});
