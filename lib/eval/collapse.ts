/**
 * Experiment driver (collapse): placeholder, being written.
 *
 * @module
 */

export {};
