/**
 * Invented vocabularies of the synthetic catalogue: categories, their
 * sub-categories (each with a product noun and feature phrases), brands,
 * materials, sizes, colours, complement relations and a small synonym table.
 *
 * Every brand name here is made up. All words are lowercase; a value may hold
 * several words ("stainless steel", "with armrests"). The generator relies on
 * nouns being unique and on no brand word being used anywhere else, which
 * `synthetic_test.ts` checks.
 *
 * @module
 */

import {
  BEDDING_BATH,
  FURNITURE,
  HOME_DECOR,
  KITCHEN,
  LIGHTING,
} from "./synthetic_vocab_home.ts";
import {
  CLOTHING,
  ELECTRONICS,
  OFFICE_SUPPLIES,
  OUTDOOR_GARDEN,
  PET_SUPPLIES,
} from "./synthetic_vocab_goods.ts";
import type { CategoryVocab } from "./synthetic_vocab_shared.ts";

export {
  type CategoryVocab,
  COLORS,
  type SubCategoryVocab,
} from "./synthetic_vocab_shared.ts";

/**
 * The category → sub-category hierarchy with its vocabularies. The order
 * numbers the sub-categories: changing it changes what every seed generates.
 */
export const CATEGORIES: readonly CategoryVocab[] = [
  FURNITURE,
  LIGHTING,
  KITCHEN,
  BEDDING_BATH,
  ELECTRONICS,
  OUTDOOR_GARDEN,
  CLOTHING,
  OFFICE_SUPPLIES,
  HOME_DECOR,
  PET_SUPPLIES,
];

/**
 * Complement relations between sub-categories, by noun: products bought
 * together with, or used with, each other (ESCI's "complement"). Symmetric.
 */
export const COMPLEMENTS: readonly (readonly [string, string])[] = [
  ["office chair", "chair cushion"],
  ["dining chair", "chair cushion"],
  ["desk", "office chair"],
  ["desk", "desk lamp"],
  ["desk", "desk mat"],
  ["desk", "monitor stand"],
  ["sofa", "coffee table"],
  ["sofa", "throw blanket"],
  ["bookshelf", "picture frame"],
  ["coffee table", "vase"],
  ["floor lamp", "light bulb"],
  ["desk lamp", "light bulb"],
  ["ceiling light", "light bulb"],
  ["lamp shade", "floor lamp"],
  ["lamp shade", "light bulb"],
  ["electric kettle", "travel mug"],
  ["coffee maker", "coffee filter"],
  ["coffee maker", "travel mug"],
  ["knife set", "cutting board"],
  ["frying pan", "cutting board"],
  ["duvet", "duvet cover"],
  ["duvet", "sheet set"],
  ["bed pillow", "sheet set"],
  ["bath towel", "bath mat"],
  ["shower curtain", "bath mat"],
  ["bath towel", "shower curtain"],
  ["laptop", "laptop sleeve"],
  ["laptop", "monitor"],
  ["laptop", "backpack"],
  ["monitor", "monitor stand"],
  ["phone case", "phone charger"],
  ["phone charger", "usb cable"],
  ["headphones", "usb cable"],
  ["garden hose", "hose nozzle"],
  ["planter", "garden hose"],
  ["grill", "grill cover"],
  ["patio chair", "patio umbrella"],
  ["rain jacket", "backpack"],
  ["hiking boots", "hiking socks"],
  ["running shoes", "hiking socks"],
  ["t-shirt", "running shoes"],
  ["ballpoint pen", "planner"],
  ["stapler", "staples"],
  ["file folder", "desk organizer"],
  ["desk organizer", "desk mat"],
  ["area rug", "rug pad"],
  ["curtain panel", "curtain rod"],
  ["wall clock", "picture frame"],
  ["dog leash", "dog collar"],
  ["dog bed", "pet bowl"],
  ["cat tree", "pet bowl"],
  ["litter box", "cat litter"],
];

/**
 * Words a searcher may type instead of a catalogue word (spelling variants,
 * plurals, everyday names). Keys are single title words; a replacement may
 * hold several words.
 */
export const SYNONYMS: Readonly<Record<string, readonly string[]>> = {
  grey: ["gray"],
  large: ["big"],
  small: ["little"],
  xl: ["extra large"],
  aluminium: ["aluminum"],
  with: ["w/"],
  chair: ["chairs", "seat"],
  sofa: ["couch", "settee"],
  desk: ["table"],
  bookshelf: ["bookcase", "shelf"],
  lamp: ["lamps", "light"],
  bulb: ["bulbs"],
  kettle: ["kettles"],
  frying: ["fry"],
  pan: ["skillet"],
  mug: ["cup", "tumbler"],
  duvet: ["comforter", "quilt"],
  towel: ["towels"],
  laptop: ["notebook", "computer"],
  headphones: ["headset", "earphones"],
  cable: ["cord", "wire"],
  charger: ["adapter"],
  monitor: ["screen", "display"],
  hose: ["hosepipe"],
  grill: ["bbq", "barbecue"],
  umbrella: ["parasol"],
  jacket: ["coat"],
  boots: ["boot"],
  shoes: ["sneakers", "trainers"],
  "t-shirt": ["tee", "tshirt"],
  backpack: ["rucksack", "bag"],
  pen: ["pens"],
  planner: ["agenda", "diary"],
  rug: ["carpet"],
  curtain: ["drape"],
  leash: ["lead"],
  purple: ["violet"],
  beige: ["tan"],
  teal: ["turquoise"],
  wireless: ["cordless"],
  nonstick: ["non-stick"],
};
