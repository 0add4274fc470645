/**
 * Host detection and lazy Node builtins, beside the wasm loader (`wasm.ts`) that uses them
 * first. Modules reachable from `ts/index.ts` must not import `node:*` statically (a browser
 * bundle would pull them in, and webpack refuses the scheme), so Node-only paths load builtins
 * through {@link nodeImport} behind {@link isNode}.
 * @module
 */

/** True under Node, Deno (with its Node compatibility) and Bun: hosts with `node:fs`. */
export function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}

/**
 * `import(specifier)` that bundlers leave alone: the specifier is a runtime value and the
 * comments tell webpack and Vite not to resolve it, so browser builds never see `node:fs`.
 */
export function nodeImport<T>(specifier: `node:${string}`): Promise<T> {
  if (!isNode()) return Promise.reject(new Error(`ferrograd: ${specifier} is only available under Node, Deno or Bun`));
  return import(/* webpackIgnore: true */ /* @vite-ignore */ specifier) as Promise<T>;
}

export type NodeFs = typeof import('node:fs/promises');
export type NodePath = typeof import('node:path');
export type NodeOs = typeof import('node:os');
export type NodeZlib = typeof import('node:zlib');

/** The value of an environment variable, or undefined outside Node-like hosts. */
export function env(name: string): string | undefined {
  const p = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  return p?.env?.[name];
}
