/**
 * Small d2l helpers: `init_cnn`, `add_to_class`, and taking the first batch of a loader.
 * @module
 */
import { Conv2d } from '../nn/conv_layers.js';
import { Linear } from '../nn/layers.js';
import { xavierUniform_ } from '../nn/init.js';
import type { Module } from '../nn/module.js';

/**
 * d2l's `init_cnn`: Xavier-uniform weights for Linear and Conv2d layers. Lazy layers that have
 * not materialised yet are skipped, as `type(module) == nn.Conv2d` skips them in the book.
 */
export function initCnn(module: Module): void {
  if ((module instanceof Linear || module instanceof Conv2d) && module.weight) xavierUniform_(module.weight);
}

/** The first element of an iterable (`next(iter(loader))`). */
export function first<T>(items: Iterable<T>): T {
  for (const x of items) return x;
  throw new Error('first: the iterable is empty');
}

/**
 * d2l's `add_to_class`: adds `fn` as a method of `Class` after the class is defined. In
 * TypeScript, declare the method with interface merging to type-check calls to it.
 */
export function addToClass<T extends object>(Class: abstract new (...args: never[]) => T, name: string, fn: (this: T, ...args: never[]) => unknown): void {
  Object.defineProperty(Class.prototype, name, { value: fn, writable: true, configurable: true });
}
