/**
 * WebAssembly SIMD kernels for blocks of inner products and nearest-row
 * search, assembled here from named opcodes (no toolchain, no binary blob).
 * On the 2-core development machine plain JavaScript loops reach about
 * 2.4 G multiply-adds/s and these kernels about 16, which is what makes exact
 * search and k-means over 20k × 128 vectors take about a second instead of
 * several. Why not tfjs' own wasm matMul (XNNPACK, also SIMD): measured at
 * the shapes eval uses (300×1500 to 4000×20000 by 128, the IVF-PQ tables),
 * it was never faster, 2–6× slower once the inputs are uploaded to tensors,
 * and it would make eval depend on the training backend's state.
 * Results are checked against plain loops in `kernels_test.ts`; callers go
 * through `kernels.ts`, which falls back to JavaScript without SIMD.
 *
 * Three functions, in WebAssembly text form:
 *
 * ```wat
 * (func (export "dots")
 *   (param $a i32) (param $na i32) (param $b i32) (param $nb i32)
 *   (param $rowBytes i32) (param $out i32) (param $norms i32) ;; unused here
 *   ;; out[i*nb + j] = a_i · b_j, 4 rows of a × 2 rows of b per tile,
 *   ;; eight f32x4 accumulators summed horizontally at the end of a tile.
 *   ;; Requires na % 4 == 0, nb % 2 == 0, rowBytes % 16 == 0 (the caller pads).
 *   (loop $i ... (loop $j ... (loop $t ...))))
 * (func (export "nearest") ... (param $norms i32)
 *   ;; same tiles, but instead of storing a_i · b_j keeps per row of a the
 *   ;; j minimising norms[j] − 2 a_i · b_j, written as i32 to out[i].
 * (func (export "nearestLanes") ...)
 *   ;; the same argmin for rows of d <= 16 with four centroids per register
 *   ;; (see lanesBody below).
 * ```
 *
 * @module
 */

// --- a tiny assembler: just the encodings the kernel uses -----------------

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    const done = (n === 0 && (byte & 0x40) === 0) ||
      (n === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function name(s: string): number[] {
  return [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
}

const I32 = 0x7f;
const V128 = 0x7b;
const get = (i: number) => [0x20, ...uleb(i)];
const set = (i: number) => [0x21, ...uleb(i)];
const tee = (i: number) => [0x22, ...uleb(i)];
const i32Const = (n: number) => [0x41, ...sleb(n)];
const I32_ADD = [0x6a];
const I32_MUL = [0x6c];
const I32_LT_U = [0x49];
const F32_ADD = [0x92];
/** `loop` with an empty block type; `br_if 0` inside jumps to its start. */
const loop = (...body: number[][]) => [0x03, 0x40, ...body.flat(), 0x0b];
const BR_IF_LOOP = [0x0d, 0x00];
const simd = (op: number, ...imm: number[]) => [0xfd, ...uleb(op), ...imm];
/** v128.load with alignment hint 1 byte, offset 0 (address on the stack). */
const V128_LOAD = simd(0x00, 0, 0);
const V128_ZERO = simd(0x0c, ...new Array<number>(16).fill(0));
const F32X4_ADD = simd(0xe4);
const F32X4_MUL = simd(0xe6);
const f32x4Lane = (lane: number) => simd(0x1f, lane);
/** f32.store, alignment 4 bytes, given byte offset. */
const f32Store = (offset: number) => [0x38, 2, ...uleb(offset)];

// Local indices: seven parameters, then i32, v128 and f32 locals.
const A = 0, NA = 1, B = 2, NB = 3, ROW = 4, OUT = 5, NORMS = 6;
const I = 7, J = 8, T = 9, PO = 10, PB0 = 11, PB1 = 12;
const PA = [13, 14, 15, 16];
const IDX = [17, 18, 19, 20];
const PN = 21;
const ACC = 22; // ACC + 2r + c accumulates a_{i+r} · b_{j+c}
const X = [30, 31];
const Y = 32;
const BEST = [33, 34, 35, 36];
const H = 37, S = 38;
const I32_LOCALS = 15; // locals 7..21
const V128_LOCALS = 11; // locals 22..32
const F32_LOCALS = 6; // locals 33..38
const F32 = 0x7d;
const F32_SUB = [0x93];
const F32_LT = [0x5d];
const f32Load = (offset: number) => [0x2a, 2, ...uleb(offset)];
const i32Store = (offset: number) => [0x36, 2, ...uleb(offset)];
const F32_INFINITY = [0x43, 0x00, 0x00, 0x80, 0x7f];
const ifThen = (...body: number[][]) => [0x04, 0x40, ...body.flat(), 0x0b];

const horizontalSum = (v: number) => [
  ...get(v),
  ...f32x4Lane(0),
  ...get(v),
  ...f32x4Lane(1),
  ...F32_ADD,
  ...get(v),
  ...f32x4Lane(2),
  ...get(v),
  ...f32x4Lane(3),
  ...F32_ADD,
  ...F32_ADD,
];

const loadAt = (
  ptr: number,
) => [...get(ptr), ...get(T), ...I32_ADD, ...V128_LOAD];

const multiplyAdd = (acc: number, x: number) => [
  ...get(acc),
  ...get(x),
  ...get(Y),
  ...F32X4_MUL,
  ...F32X4_ADD,
  ...set(acc),
];

const innerLoop = loop(
  loadAt(PB0),
  set(X[0]),
  loadAt(PB1),
  set(X[1]),
  ...PA.map((pa, r) => [
    ...loadAt(pa),
    ...set(Y),
    ...multiplyAdd(ACC + 2 * r, X[0]),
    ...multiplyAdd(ACC + 2 * r + 1, X[1]),
  ]),
  get(T),
  i32Const(16),
  I32_ADD,
  tee(T),
  get(ROW),
  I32_LT_U,
  BR_IF_LOOP,
);

// "dots": store the 4 × 2 tile at out + 4·((i + r)·nb + j + c).
const storeTile = [
  get(OUT),
  get(I),
  get(NB),
  I32_MUL,
  get(J),
  I32_ADD,
  i32Const(4),
  I32_MUL,
  I32_ADD,
  set(PO),
  ...[0, 1, 2, 3].map((r) => [
    ...get(PO),
    ...horizontalSum(ACC + 2 * r),
    ...f32Store(0),
    ...get(PO),
    ...horizontalSum(ACC + 2 * r + 1),
    ...f32Store(4),
    ...get(PO),
    ...get(NB),
    ...i32Const(4),
    ...I32_MUL,
    ...I32_ADD,
    ...set(PO),
  ]),
];

// "nearest": s = norms[j + c] − 2·(a_{i+r} · b_{j+c}); keep the smallest
// per row (strict <, so ties keep the lower index).
const updateBest = [
  get(NORMS),
  get(J),
  i32Const(4),
  I32_MUL,
  I32_ADD,
  set(PN),
  ...[0, 1, 2, 3].flatMap((r) =>
    [0, 1].map((c) => [
      ...get(PN),
      ...f32Load(4 * c),
      ...horizontalSum(ACC + 2 * r + c),
      ...tee(H),
      ...get(H),
      ...F32_ADD,
      ...F32_SUB,
      ...tee(S),
      ...get(BEST[r]),
      ...F32_LT,
      ...ifThen(
        get(S),
        set(BEST[r]),
        get(J),
        i32Const(c),
        I32_ADD,
        set(IDX[r]),
      ),
    ])
  ),
];

const resetBest = [0, 1, 2, 3].map((r) => [
  ...F32_INFINITY,
  ...set(BEST[r]),
  ...i32Const(0),
  ...set(IDX[r]),
]);

// out[i + r] = idx_r (int32)
const storeBest = [0, 1, 2, 3].map((r) => [
  ...get(OUT),
  ...get(I),
  ...i32Const(4),
  ...I32_MUL,
  ...I32_ADD,
  ...get(IDX[r]),
  ...i32Store(4 * r),
]);

function kernelBody(mode: "dots" | "nearest"): number[] {
  const tileLoop = loop(
    ...Array.from({ length: 8 }, (_, k) => [...V128_ZERO, ...set(ACC + k)]),
    // pb0 = b + j·rowBytes, pb1 = pb0 + rowBytes
    get(B),
    get(J),
    get(ROW),
    I32_MUL,
    I32_ADD,
    tee(PB0),
    get(ROW),
    I32_ADD,
    set(PB1),
    i32Const(0),
    set(T),
    innerLoop,
    ...(mode === "dots" ? storeTile : updateBest),
    get(J),
    i32Const(2),
    I32_ADD,
    tee(J),
    get(NB),
    I32_LT_U,
    BR_IF_LOOP,
  );
  const rowLoop = loop(
    i32Const(0),
    set(J),
    // pa_r = a + (i + r)·rowBytes
    get(A),
    get(I),
    get(ROW),
    I32_MUL,
    I32_ADD,
    tee(PA[0]),
    get(ROW),
    I32_ADD,
    tee(PA[1]),
    get(ROW),
    I32_ADD,
    tee(PA[2]),
    get(ROW),
    I32_ADD,
    set(PA[3]),
    ...(mode === "nearest" ? resetBest : []),
    tileLoop,
    ...(mode === "nearest" ? storeBest : []),
    get(I),
    i32Const(4),
    I32_ADD,
    tee(I),
    get(NA),
    I32_LT_U,
    BR_IF_LOOP,
  );
  const body = [
    ...vec([
      [...uleb(I32_LOCALS), I32],
      [...uleb(V128_LOCALS), V128],
      [...uleb(F32_LOCALS), F32],
    ]),
    ...i32Const(0),
    ...set(I),
    ...rowLoop,
    0x0b,
  ];
  return [...uleb(body.length), ...body];
}

// "nearestLanes", for short rows (d <= 16): four centroids share a v128,
// one lane each, transposed and pre-scaled by the caller. Centroids come in
// blocks of 16 (four v128 "groups", padded): [‖c‖² of groups 0..3], then
// per dimension t [−2c[t] of groups 0..3]. Four independent accumulators
// hide the add latency. Per row of a it keeps, per lane, the smallest
// ‖c‖² − 2a·c and its centroid index; out gets 32 bytes per row (4 × f32
// best, 4 × i32 index) and the caller reduces the lanes.
// Parameters as above, with $b = the blocks and $nb = their number.
const L = { I: 7, G: 8, T: 9, PX: 10, PC: 11, PO: 12 };
const LV = { ACC: 13, BEST: 17, BIDX: 18, CUR: 19, MASK: 20, X: 21 };
const V128_LOAD32_SPLAT = simd(0x09, 2, 0);
const v128Load = (offset: number) => simd(0x00, 0, ...uleb(offset));
const v128Store = (offset: number) => simd(0x0b, 0, ...uleb(offset));
const F32X4_LT = simd(0x43);
const V128_BITSELECT = simd(0x52);
const I32X4_ADD = simd(0xae);
const v128I32 = (lanes: number[]) =>
  simd(
    0x0c,
    ...lanes.flatMap((v) => [
      v & 255,
      (v >> 8) & 255,
      (v >> 16) & 255,
      v >>> 24,
    ]),
  );
const INF = 0x7f800000;
const V128_F32_INFINITY = v128I32([INF, INF, INF, INF]);

function lanesBody(): number[] {
  const tLoop = loop(
    get(L.PX),
    get(L.T),
    I32_ADD,
    V128_LOAD32_SPLAT,
    set(LV.X),
    ...[0, 1, 2, 3].map((g) => [
      ...get(LV.ACC + g),
      ...get(LV.X),
      ...get(L.PC),
      ...v128Load(16 * g),
      ...F32X4_MUL,
      ...F32X4_ADD,
      ...set(LV.ACC + g),
    ]),
    get(L.PC),
    i32Const(64),
    I32_ADD,
    set(L.PC),
    get(L.T),
    i32Const(4),
    I32_ADD,
    tee(L.T),
    get(ROW),
    I32_LT_U,
    BR_IF_LOOP,
  );
  const blockLoop = loop(
    ...[0, 1, 2, 3].map((g) => [
      ...get(L.PC),
      ...v128Load(16 * g),
      ...set(LV.ACC + g),
    ]),
    get(L.PC),
    i32Const(64),
    I32_ADD,
    set(L.PC),
    i32Const(0),
    set(L.T),
    tLoop,
    ...[0, 1, 2, 3].map((g) => [
      ...get(LV.ACC + g),
      ...get(LV.BEST),
      ...F32X4_LT,
      ...set(LV.MASK),
      ...get(LV.ACC + g),
      ...get(LV.BEST),
      ...get(LV.MASK),
      ...V128_BITSELECT,
      ...set(LV.BEST),
      ...get(LV.CUR),
      ...get(LV.BIDX),
      ...get(LV.MASK),
      ...V128_BITSELECT,
      ...set(LV.BIDX),
      ...get(LV.CUR),
      ...v128I32([4, 4, 4, 4]),
      ...I32X4_ADD,
      ...set(LV.CUR),
    ]),
    get(L.G),
    i32Const(1),
    I32_ADD,
    tee(L.G),
    get(NB),
    I32_LT_U,
    BR_IF_LOOP,
  );
  const rowLoop = loop(
    V128_F32_INFINITY,
    set(LV.BEST),
    V128_ZERO,
    set(LV.BIDX),
    v128I32([0, 1, 2, 3]),
    set(LV.CUR),
    get(B),
    set(L.PC),
    i32Const(0),
    set(L.G),
    blockLoop,
    get(L.PO),
    get(LV.BEST),
    v128Store(0),
    get(L.PO),
    get(LV.BIDX),
    v128Store(16),
    get(L.PO),
    i32Const(32),
    I32_ADD,
    set(L.PO),
    get(L.PX),
    get(ROW),
    I32_ADD,
    set(L.PX),
    get(L.I),
    i32Const(1),
    I32_ADD,
    tee(L.I),
    get(NA),
    I32_LT_U,
    BR_IF_LOOP,
  );
  const body = [
    ...vec([[...uleb(6), I32], [...uleb(9), V128]]),
    ...get(A),
    ...set(L.PX),
    ...get(OUT),
    ...set(L.PO),
    ...i32Const(0),
    ...set(L.I),
    ...rowLoop,
    0x0b,
  ];
  return [...uleb(body.length), ...body];
}

function assemble(): Uint8Array<ArrayBuffer> {
  const sevenI32 = vec(Array.from({ length: 7 }, () => [I32]));
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec([[0x60, ...sevenI32, 0x00]])), // type: (7 × i32) → ()
    ...section(2, vec([[...name("env"), ...name("mem"), 0x02, 0x00, 0x01]])),
    ...section(3, vec([[0x00], [0x00], [0x00]])),
    ...section(
      7,
      vec([
        [...name("dots"), 0x00, 0x00],
        [...name("nearest"), 0x00, 0x01],
        [...name("nearestLanes"), 0x00, 0x02],
      ]),
    ),
    ...section(
      10,
      vec([kernelBody("dots"), kernelBody("nearest"), lanesBody()]),
    ),
  ]);
}

type KernelFn = (
  a: number,
  na: number,
  b: number,
  nb: number,
  rowBytes: number,
  out: number,
  norms: number,
) => void;

interface Kernel {
  dots: KernelFn;
  nearest: KernelFn;
  nearestLanes: KernelFn;
  memory: WebAssembly.Memory;
}

function instantiate(): Kernel | null {
  try {
    const bytes = assemble();
    if (!WebAssembly.validate(bytes)) return null;
    const memory = new WebAssembly.Memory({ initial: 16 });
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
      env: { mem: memory },
    });
    const { dots, nearest, nearestLanes } = instance.exports;
    return {
      dots: dots as KernelFn,
      nearest: nearest as KernelFn,
      nearestLanes: nearestLanes as KernelFn,
      memory,
    };
  } catch {
    return null;
  }
}

const kernel = instantiate();

/** Whether the WebAssembly SIMD kernel could be built in this runtime. */
export function simdAvailable(): boolean {
  return kernel !== null;
}

/** Options for {@link simdInnerProducts}. */
export interface SimdOptions {
  /** Dimension of every row. */
  d: number;
  /** Output, row-major `[rows of a, rows of b]`. */
  out: Float32Array;
}

/** Byte offsets of the kernel's operands in its memory. */
interface Layout {
  a: number;
  b: number;
  extra: number;
  end: number;
}

// Copies a and b (padded: d to a multiple of 4, a to 4 rows, b to 2 rows)
// into the kernel memory, growing it as needed; `extraBytes` follow b.
function stage(
  k: Kernel,
  a: Float32Array,
  b: Float32Array,
  shape: { d: number; extraBytes: number },
): Layout {
  const { d, extraBytes } = shape;
  const d4 = (d + 3) & ~3;
  const na4 = (a.length / d + 3) & ~3, nb2 = (b.length / d + 1) & ~1;
  const layout = {
    a: 0,
    b: na4 * d4 * 4,
    extra: (na4 + nb2) * d4 * 4,
    end: (na4 + nb2) * d4 * 4 + extraBytes,
  };
  const have = k.memory.buffer.byteLength;
  if (layout.end > have) k.memory.grow(Math.ceil((layout.end - have) / 65536));
  const buf = k.memory.buffer;
  copyPadded(a, new Float32Array(buf, layout.a, na4 * d4), d, d4);
  copyPadded(b, new Float32Array(buf, layout.b, nb2 * d4), d, d4);
  return layout;
}

/**
 * Writes `out[i·nb + j] = a_i · b_j` with the SIMD kernel (float32
 * accumulation in four lanes). Rows are copied into the kernel's memory,
 * zero-padded to a multiple of 4 dimensions, 4 rows of `a` and 2 of `b`.
 * Throws when {@link simdAvailable} is false.
 */
export function simdInnerProducts(
  a: Float32Array,
  b: Float32Array,
  options: SimdOptions,
): void {
  if (kernel === null) throw new Error("WebAssembly SIMD is not available");
  const { d, out } = options;
  const na = a.length / d, nb = b.length / d;
  const na4 = (na + 3) & ~3, nb2 = (nb + 1) & ~1;
  const at = stage(kernel, a, b, { d, extraBytes: na4 * nb2 * 4 });
  kernel.dots(at.a, na4, at.b, nb2, ((d + 3) & ~3) * 4, at.extra, 0);
  const res = new Float32Array(kernel.memory.buffer, at.extra, na4 * nb2);
  if (nb2 === nb) {
    out.set(res.subarray(0, na * nb));
  } else {
    for (let i = 0; i < na; i++) {
      for (let j = 0; j < nb; j++) out[i * nb + j] = res[i * nb2 + j];
    }
  }
}

/** Options for {@link simdNearest}. */
export interface SimdNearestOptions {
  /** Dimension of every row. */
  d: number;
  /** ‖b_j‖² per row of `b`. */
  norms: Float32Array;
  /** Output: per row of `a`, the index j minimising ‖b_j‖² − 2 a·b_j. */
  out: Int32Array;
}

/**
 * Nearest row of `b` (squared L2) for every row of `a`, in the SIMD kernel:
 * no score matrix is materialised. Short rows (d <= 16) put four centroids
 * in a SIMD register, one per lane, so the cost per (row, centroid) pair
 * carries no horizontal sum; longer rows take the fused dot-product kernel.
 * Ties keep the lower index. Throws when {@link simdAvailable} is false.
 */
export function simdNearest(
  a: Float32Array,
  b: Float32Array,
  options: SimdNearestOptions,
): void {
  if (kernel === null) throw new Error("WebAssembly SIMD is not available");
  const { d } = options;
  const job = {
    k: kernel,
    a,
    b,
    ...options,
    na: a.length / d,
    nb: b.length / d,
  };
  if (d <= 16) nearestLanes(job);
  else nearestFused(job);
}

/** The operands of one {@link simdNearest} call, with their row counts. */
interface NearestJob extends SimdNearestOptions {
  k: Kernel;
  a: Float32Array;
  b: Float32Array;
  na: number;
  nb: number;
}

function nearestFused(job: NearestJob): void {
  const { k, a, b, d, norms, out, na, nb } = job;
  const na4 = (na + 3) & ~3, nb2 = (nb + 1) & ~1;
  const at = stage(k, a, b, { d, extraBytes: (nb2 + na4) * 4 });
  const buf = k.memory.buffer;
  const padded = new Float32Array(buf, at.extra, nb2);
  padded.set(norms.subarray(0, nb));
  // A padding row of b must never win.
  if (nb2 > nb) padded[nb] = Infinity;
  const outAt = at.extra + nb2 * 4;
  k.nearest(at.a, na4, at.b, nb2, ((d + 3) & ~3) * 4, outAt, at.extra);
  out.set(new Int32Array(buf, outAt, na));
}

function nearestLanes(job: NearestJob): void {
  const { k, a, b, d, norms, out, na, nb } = job;
  if (na === 0) return;
  const blocks = (nb + 15) >> 4;
  const blockFloats = 16 * (d + 1);
  const ctOff = na * d * 4;
  const outOff = ctOff + blocks * blockFloats * 4;
  const end = outOff + na * 32;
  const have = k.memory.buffer.byteLength;
  if (end > have) k.memory.grow(Math.ceil((end - have) / 65536));
  const buf = k.memory.buffer;
  new Float32Array(buf, 0, na * d).set(a);
  const ct = new Float32Array(buf, ctOff, blocks * blockFloats);
  for (let j = 0; j < 16 * blocks; j++) {
    // Centroid j sits in lane j % 4 of group (j >> 2) % 4 of block j >> 4.
    const o = (j >> 4) * blockFloats + (j & 15);
    // A padding lane (j >= nb) must never win.
    ct[o] = j < nb ? norms[j] : Infinity;
    for (let t = 0; t < d; t++) {
      ct[o + 16 * (t + 1)] = j < nb ? -2 * b[j * d + t] : 0;
    }
  }
  k.nearestLanes(0, na, ctOff, blocks, d * 4, outOff, 0);
  const best = new Float32Array(buf, outOff, na * 8);
  const idx = new Int32Array(buf, outOff, na * 8);
  for (let i = 0; i < na; i++) {
    let bi = idx[i * 8 + 4], bs = best[i * 8];
    for (let l = 1; l < 4; l++) {
      const s = best[i * 8 + l], j = idx[i * 8 + 4 + l];
      if (s < bs || (s === bs && j < bi)) {
        bs = s;
        bi = j;
      }
    }
    out[i] = bi;
  }
}

function copyPadded(
  src: Float32Array,
  dst: Float32Array,
  d: number,
  d4: number,
): void {
  const rows = src.length / d;
  if (d === d4) {
    dst.set(src);
    dst.fill(0, src.length);
    return;
  }
  dst.fill(0);
  for (let i = 0; i < rows; i++) {
    for (let t = 0; t < d; t++) dst[i * d4 + t] = src[i * d + t];
  }
}
