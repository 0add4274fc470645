/**
 * `torch.nn.Module` for ferrograd. Submodules and parameters assigned as fields are found by
 * reflection in declaration order, so `this.conv1 = new Conv2d(...)` registers `conv1` the way
 * PyTorch's `__setattr__` does; buffers (batch-norm statistics) are registered explicitly.
 * @module
 */
import { resolveDevice, type DeviceName, type DeviceSpec } from '../gpu/index.js';
import { boolArg, isTensor, show, tensorArg } from '../check.js';
import { untrack } from '../memory.js';
import { deviceCode, Tensor } from '../tensor.js';
import { wasm } from '../wasm.js';

/** A tensor that is a module parameter: a leaf that requires grad and outlives step scopes. */
export class Parameter extends Tensor {
  constructor(data: Tensor, requiresGrad = true) {
    super(wasm().detach(tensorArg('Parameter', 'data', data)), data.dtype);
    // Parameters belong to their module, not to the step that created them (lazy layers
    // materialise inside the first training step).
    untrack(this);
    if (requiresGrad) this.requiresGrad = true;
  }
}

export type StateDict = Record<string, Tensor>;

export abstract class Module {
  /** Training mode (dropout and batch-norm behave differently in eval mode). */
  training = true;
  readonly #modules = new Map<string, Module | null>();
  readonly #params = new Map<string, Parameter | null>();
  readonly #buffers = new Map<string, { t: Tensor | null; persistent: boolean }>();

  abstract forward(...inputs: Tensor[]): Tensor;

  /** `module(x)` in PyTorch. */
  call(...inputs: Tensor[]): Tensor {
    return this.forward(...inputs);
  }

  /**
   * @internal `next(this(x))` as one op when this layer can run `next` as its epilogue (a conv
   * and the activation after it in a `Sequential`), else null. The fused op gives the same
   * values and gradients and holds one activation map for backward instead of two.
   */
  fuseWith(_next: Module): ((x: Tensor) => Tensor) | null {
    return null;
  }

  /** PyTorch's class name for printing and `layer_summary` (lazy layers report what they become). */
  get typeName(): string {
    return this.constructor.name;
  }

  // ---- registration ----
  addModule(name: string, module: Module | null): void {
    checkName(name, 'addModule');
    this.#modules.set(name, module);
  }
  registerModule(name: string, module: Module | null): void {
    this.addModule(name, module);
  }
  registerParameter(name: string, p: Parameter | null): void {
    checkName(name, 'registerParameter');
    this.#params.set(name, p);
  }
  /** A tensor that is state but not a parameter (e.g. running statistics). */
  registerBuffer(name: string, t: Tensor | null, persistent = true): void {
    checkName(name, 'registerBuffer');
    if (t) untrack(t);
    this.#buffers.set(name, { t, persistent });
  }
  /** @internal Replaces a registered buffer's tensor. */
  protected setBuffer(name: string, t: Tensor): void {
    const b = this.#buffers.get(name);
    if (!b) throw new Error(`${this.typeName}: no buffer named '${name}'`);
    untrack(t);
    b.t = t;
  }
  protected getBuffer(name: string): Tensor | null {
    return this.#buffers.get(name)?.t ?? null;
  }

  // ---- traversal ----
  /** Direct submodules with their names: registered ones, then fields holding modules. */
  *namedChildren(): IterableIterator<[string, Module]> {
    const seen = new Set<Module>();
    for (const [name, m] of this.#modules) {
      if (m && !seen.has(m)) {
        seen.add(m);
        yield [name, m];
      }
    }
    for (const [name, v] of Object.entries(this)) {
      if (v instanceof Module && !seen.has(v)) {
        seen.add(v);
        yield [name, v];
      }
    }
  }
  children(): Module[] {
    return [...this.namedChildren()].map(([, m]) => m);
  }
  *namedModules(prefix = ''): IterableIterator<[string, Module]> {
    yield [prefix, this];
    for (const [name, m] of this.namedChildren()) yield* m.namedModules(prefix ? `${prefix}.${name}` : name);
  }
  modules(): Module[] {
    return [...this.namedModules()].map(([, m]) => m);
  }
  /** Own parameters (registered, then `Parameter` fields). */
  protected *ownParameters(): IterableIterator<[string, Parameter]> {
    for (const [name, p] of this.#params) if (p) yield [name, p];
    for (const [name, v] of Object.entries(this)) if (v instanceof Parameter && !this.#params.has(name)) yield [name, v];
  }
  *namedParameters(prefix = '', recurse = true): IterableIterator<[string, Parameter]> {
    const seen = new Set<Parameter>();
    const mods: Iterable<[string, Module]> = recurse ? this.namedModules(prefix) : [[prefix, this]];
    for (const [mp, m] of mods) {
      for (const [name, p] of m.ownParameters()) {
        if (seen.has(p)) continue;
        seen.add(p);
        yield [mp ? `${mp}.${name}` : name, p];
      }
    }
  }
  parameters(recurse = true): Parameter[] {
    return [...this.namedParameters('', recurse)].map(([, p]) => p);
  }
  *namedBuffers(prefix = '', onlyPersistent = false): IterableIterator<[string, Tensor]> {
    for (const [mp, m] of this.namedModules(prefix)) {
      for (const [name, b] of m.#buffers) {
        if (b.t && (!onlyPersistent || b.persistent)) yield [mp ? `${mp}.${name}` : name, b.t];
      }
    }
  }
  buffers(): Tensor[] {
    return [...this.namedBuffers()].map(([, b]) => b);
  }

  // ---- devices ----
  /** The device of the parameters (the CPU for a module without any yet). */
  get device(): DeviceName {
    return this.parameters()[0]?.device ?? 'cpu';
  }
  /**
   * Moves every parameter and buffer to `device` in place: the Parameter objects stay the
   * same (optimizers hold them), their gradients are dropped. Integer counters (batch-norm's
   * `num_batches_tracked`) stay on the CPU, where they are read synchronously. Moving from the
   * GPU needs {@link toAsync}.
   */
  to(device: DeviceSpec): this {
    const target = resolveDevice(device);
    for (const t of this.#movable(target)) {
      if (t.device === 'gpu') throw new Error(`${this.typeName}.to('${target}'): parameters on the GPU cannot be read synchronously; use \`await module.toAsync('${target}')\``);
      wasm().moveToDevice(t.h, deviceCode(target));
    }
    return this;
  }
  /** {@link to} for any direction, including GPU to CPU. */
  async toAsync(device: DeviceSpec): Promise<this> {
    const target = resolveDevice(device);
    for (const t of this.#movable(target)) {
      if (t.device === 'gpu') {
        wasm().replaceStorage(t.h, await wasm().readBufferAsync(t.h), deviceCode(target));
      } else {
        wasm().moveToDevice(t.h, deviceCode(target));
      }
    }
    return this;
  }
  #movable(target: DeviceName): Tensor[] {
    const all = new Set<Tensor>([...this.parameters(), ...this.buffers()]);
    return [...all].filter((t) => t.device !== target && !(t.dtype === 'int64' && t.numel() === 1));
  }

  // ---- modes and helpers ----
  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }
  eval(): this {
    return this.train(false);
  }
  /** Calls `fn` on every submodule (children first) and this module, like `Module.apply`. */
  apply(fn: (m: Module) => void): this {
    for (const c of this.children()) c.apply(fn);
    fn(this);
    return this;
  }
  /** Drops every parameter's gradient (PyTorch's default `set_to_none=True`). */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  // ---- state ----
  /** Parameters and persistent buffers under PyTorch's names (`net.0.weight`, ...). */
  stateDict(): StateDict {
    const out: StateDict = {};
    for (const [mp, m] of this.namedModules()) {
      const pre = mp ? `${mp}.` : '';
      for (const [name, p] of m.ownParameters()) out[pre + name] = p;
      for (const [name, b] of m.#buffers) if (b.t && b.persistent) out[pre + name] = b.t;
    }
    return out;
  }
  /**
   * Copies values into parameters and buffers by name. With `strict`, missing or unexpected keys
   * are an error; shape mismatches always are. Nothing is modified unless every check passes.
   */
  loadStateDict(state: StateDict, strict = true): { missingKeys: string[]; unexpectedKeys: string[] } {
    const op = 'loadStateDict';
    boolArg(op, 'strict', strict);
    if (state === null || typeof state !== 'object' || Array.isArray(state) || isTensor(state)) {
      throw new TypeError(`${op}: expected a state dict (an object of tensors by name), got ${show(state)}`);
    }
    const own = this.stateDict();
    const has = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);
    const missingKeys = Object.keys(own).filter((k) => !has(state, k));
    const unexpectedKeys = Object.keys(state).filter((k) => !has(own, k));
    if (strict && (missingKeys.length || unexpectedKeys.length)) {
      throw new Error(`${op}: missing keys [${missingKeys.join(', ')}], unexpected keys [${unexpectedKeys.join(', ')}]`);
    }
    // Every check first; then every copy (all or nothing).
    const plan: [Tensor, Tensor][] = [];
    for (const [k, dst] of Object.entries(own)) {
      if (!has(state, k)) continue;
      const src: unknown = state[k];
      if (!isTensor(src)) throw new TypeError(`${op}: '${k}' must be a Tensor, got ${show(src)}`);
      tensorArg(op, k, src);
      const [a, b] = [dst.shape, src.shape];
      if (a.length !== b.length || a.some((d, i) => d !== b[i])) {
        throw new RangeError(`${op}: size mismatch for '${k}': copying a param with shape [${b.join(', ')}], the shape in the current model is [${a.join(', ')}]`);
      }
      if (src.device === 'gpu' && dst.device !== 'gpu') {
        throw new Error(`${op}: '${k}' is on the GPU and the module on the CPU; read it first (await t.toAsync('cpu')) or move the module (await m.toAsync('gpu'))`);
      }
      plan.push([dst, src]);
    }
    for (const [dst, src] of plan) dst.assign_(src.device === dst.device ? src : src.to(dst.device));
    return { missingKeys, unexpectedKeys };
  }

  /** The constructor arguments in PyTorch's repr, e.g. `1, 6, kernel_size=(5, 5)`. */
  extraRepr(): string {
    return '';
  }
  toString(): string {
    const kids = [...this.namedChildren()];
    const head = `${this.typeName}(${this.extraRepr()}`;
    if (!kids.length) return head + ')';
    const lines = kids.map(([n, m]) => `  (${n}): ${m.toString().replace(/\n/g, '\n  ')}`);
    return `${head}\n${lines.join('\n')}\n)`;
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

function checkName(name: string, op: string): void {
  if (!name || name.includes('.')) throw new RangeError(`${op}: invalid name '${name}' (non-empty, no '.')`);
}

/** Layers applied in order, named `0`, `1`, ... (or by `addModule`). */
export class Sequential extends Module {
  constructor(...layers: Module[]) {
    super();
    layers.forEach((m, i) => this.addModule(String(i), m));
  }
  /**
   * Runs the layers in order; a conv followed by a ReLU, sigmoid or tanh runs as one fused op
   * ({@link Module.fuseWith}). Each intermediate result is released as soon as the next layer has
   * it, as Python's refcounting does in PyTorch: autograd keeps what backward needs and frees it
   * as backward passes, so a training step's peak memory falls as backward runs instead of
   * holding every activation until the step ends.
   */
  forward(x: Tensor): Tensor {
    let h = x;
    const kids = this.children();
    for (let i = 0; i < kids.length; i++) {
      const m = kids[i]!;
      const fused = i + 1 < kids.length ? m.fuseWith(kids[i + 1]!) : null;
      if (fused) i++;
      const next = fused ? fused(h) : m.forward(h);
      if (h !== x && next !== h) h._free('it was an intermediate result of a Sequential');
      h = next;
    }
    return h;
  }
  /** `net[i]` (negative counts from the end). */
  get(i: number): Module {
    const kids = this.children();
    const m = kids[i < 0 ? kids.length + i : i];
    if (!m) throw new RangeError(`Sequential: index ${i} is out of range for ${kids.length} layers`);
    return m;
  }
  get length(): number {
    return this.children().length;
  }
  [Symbol.iterator](): Iterator<Module> {
    return this.children()[Symbol.iterator]();
  }
}
