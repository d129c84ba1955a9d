import { assertEquals, assertThrows } from "../testing.ts";
import { Command, TowerChannel } from "./tower_channel.ts";

// Both ends in one thread: every wait below is already satisfied.

Deno.test("tower channel: a command and its answer round-trip, in order", () => {
  const loop = new TowerChannel(1024);
  const worker = new TowerChannel(loop.buffer);
  loop.ints(3).set([7, 8, 9]);
  loop.send(Command.encode, 3);
  const cmd = worker.next();
  assertEquals(cmd, { code: Command.encode, length: 3 });
  assertEquals(Array.from(worker.ints(3)), [7, 8, 9]);
  worker.floats(2).set([0.5, -1]);
  worker.doubles(2, 1)[0] = 1 / 3;
  worker.answer(2);
  assertEquals(loop.receive(), 2);
  assertEquals(Array.from(loop.floats(2)), [0.5, -1]);
  assertEquals(loop.doubles(2, 1)[0], 1 / 3);
  // The next command is a new one: the worker sees it once.
  loop.send(Command.apply, 1);
  assertEquals(worker.next().code, Command.apply);
});

Deno.test("tower channel: a failed command throws its message; an abandoned worker fails every later wait", () => {
  const loop = new TowerChannel(256);
  const worker = new TowerChannel(loop.buffer);
  loop.send(Command.encode, 0);
  worker.next();
  worker.fail("row 99 is outside [0, 10)");
  assertThrows(() => loop.receive(), Error, "row 99 is outside");
  // A command the worker never read: abandon() still releases the loop.
  loop.send(Command.backward, 0);
  worker.abandon("out of memory in Adam");
  assertThrows(() => loop.receive(), Error, "out of memory in Adam");
  loop.send(Command.apply, 1);
  assertThrows(() => loop.receive(), Error, "out of memory in Adam");
});

Deno.test("tower channel: a payload larger than the channel is refused by name", () => {
  const ch = new TowerChannel(16);
  assertEquals(ch.capacity, 16);
  ch.floats(4);
  assertThrows(() => ch.floats(5), RangeError, "exceed its 16");
  assertThrows(() => ch.doubles(1, 2), RangeError, "tower channel");
});
