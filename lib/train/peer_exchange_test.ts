import { assertEquals, assertThrows } from "../testing.ts";
import { PeerExchange, sumRowGradients } from "./peer_exchange.ts";

Deno.test("sumRowGradients: the union of rows, summed where both have one, in id order, either way round", () => {
  const a = {
    ids: Int32Array.of(7, 2),
    rows: Float32Array.of(1, 2, 3, 4),
    dim: 2,
  };
  const b = {
    ids: Int32Array.of(2, 5),
    rows: Float32Array.of(0.5, 0.25, 9, 8),
    dim: 2,
  };
  const ab = sumRowGradients(a, b);
  assertEquals([...ab.ids], [2, 5, 7]);
  assertEquals([...ab.rows], [3.5, 4.25, 9, 8, 1, 2]);
  const ba = sumRowGradients(b, a);
  assertEquals([...ba.ids], [...ab.ids]);
  assertEquals([...ba.rows], [...ab.rows]);
  // Each sum is rounded to float32 once, as a float32 addition would be.
  const tiny = sumRowGradients(
    { ids: Int32Array.of(0), rows: Float32Array.of(1), dim: 1 },
    { ids: Int32Array.of(0), rows: Float32Array.of(1e-8), dim: 1 },
  );
  assertEquals(tiny.rows[0], Math.fround(1 + Math.fround(1e-8)));
  assertThrows(
    () => sumRowGradients(a, { ...b, dim: 4, rows: new Float32Array(8) }),
    RangeError,
    "width 2 and 4",
  );
});

Deno.test("peer exchange: what one worker writes the other reads, in order; the region's size is enforced", () => {
  const zero = new PeerExchange(64);
  const one = new PeerExchange(zero.buffer, { index: 1 });
  assertEquals([zero.index, one.index], [0, 1]);
  const out = zero.outgoing();
  out.count(2);
  out.put(Int32Array.of(4, 9));
  out.put(Float32Array.of(0.5, -1.5));
  const inc = one.incoming();
  const n = inc.count();
  assertEquals([...inc.ints(n)], [4, 9]);
  assertEquals([...inc.floats(n)], [0.5, -1.5]);
  // Worker 1's region is its own: worker 0's is untouched by it.
  one.outgoing().put(Float32Array.of(7));
  assertEquals(zero.incoming().floats(1)[0], 7);
  assertEquals(one.incoming().count(), 2);
  assertThrows(
    () => zero.outgoing().put(new Float32Array(17)),
    RangeError,
    "exceed the region",
  );
});

Deno.test("peer exchange: a worker that fails releases the other from its barrier", () => {
  const zero = new PeerExchange(8);
  const one = new PeerExchange(zero.buffer, { index: 1 });
  one.abandon();
  assertThrows(() => zero.barrier(), Error, "the other worker failed");
});
