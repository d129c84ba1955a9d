/**
 * Experiment driver (baselines): placeholder, being written.
 *
 * @module
 */

export {};
