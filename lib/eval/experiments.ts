/**
 * Experiment driver (experiments): placeholder, being written.
 *
 * @module
 */

export {};
