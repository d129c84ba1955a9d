/**
 * Seller copies: the synthetic catalogue's interchangeable near-duplicates
 * (option `sellerCopyShare`). One product offered by two sellers is two
 * items with the same text; for the query they are the same answer. They
 * differ from the near-duplicate families (one attribute differs, so the
 * query must tell them apart) in what a retrieval loss should do with them:
 * a copy that shows up as another pair's positive in a training batch is a
 * false negative, and pushing it away is a mistake.
 *
 * How the labels say so: in the train split a label of a copied product
 * moves to the copy with probability ½ (a click log records the offer that
 * was clicked, and the other offer stays unlabelled); in the valid and test
 * splits the copy gets the same label as its original (a judge marks both
 * offers relevant), so evaluation counts either offer as a hit. Internal to
 * the generator.
 *
 * @module
 */

import type { Rng } from "./rng.ts";
import type { Dataset, Split } from "./schema.ts";

/** The dataset with copies, and which item each copy copies. */
export interface WithCopies {
  /** The dataset, copies appended to the items, labels moved or added. */
  dataset: Dataset;
  /** Per item id (copies included): the original's id, or −1. */
  copyOf: Int32Array;
}

/**
 * Appends a seller copy for a share `share` of the items (drawn uniformly,
 * without replacement) and rewrites the labels as the module says. Pairs
 * keep their order; a valid/test copy label follows its original's.
 */
export function addSellerCopies(
  ds: Dataset,
  share: number,
  rng: Rng,
): WithCopies {
  const n = ds.items.itemId.length;
  // An Int32Array sorts numerically: copies in their originals' order.
  const copied = rng.permutation(n).slice(0, Math.round(share * n)).sort();
  const copyOf = new Int32Array(n + copied.length).fill(-1);
  const copyId = new Map<number, number>();
  copied.forEach((original, k) => {
    copyOf[n + k] = original;
    copyId.set(original, n + k);
  });
  const it = ds.items;
  const rows = [...Array(n).keys(), ...copied];
  const items: Dataset["items"] = {
    itemId: Int32Array.from({ length: rows.length }, (_, i) => i),
    sourceId: rows.map((r) => it.sourceId[r]),
    title: rows.map((r) => it.title[r]),
    category: rows.map((r) => it.category[r]),
    brand: rows.map((r) => it.brand[r]),
    attributes: rows.map((r) => it.attributes[r]),
    popularity: Float32Array.from(rows, (r) => it.popularity[r]),
  };

  const p = ds.pairs;
  const queryId: number[] = [], itemId: number[] = [], relevance: number[] = [];
  const split: Split[] = [];
  const push = (i: number, item: number) => {
    queryId.push(p.queryId[i]);
    itemId.push(item);
    relevance.push(p.relevance[i]);
    split.push(p.split[i]);
  };
  for (let i = 0; i < p.queryId.length; i++) {
    const copy = copyId.get(p.itemId[i]);
    if (copy === undefined) push(i, p.itemId[i]);
    else if (p.split[i] === "train") {
      push(i, rng.bernoulli(0.5) ? copy : p.itemId[i]);
    } else {
      push(i, p.itemId[i]);
      push(i, copy);
    }
  }
  return {
    dataset: {
      ...ds,
      items,
      pairs: {
        queryId: Int32Array.from(queryId),
        itemId: Int32Array.from(itemId),
        relevance: Int8Array.from(relevance),
        split,
      },
    },
    copyOf,
  };
}
