/**
 * `nn.Upsample`: {@link F.interpolate} as a layer.
 * @module
 */
import { boolArg, enumArg, intArg, optionsArg, realArg } from '../check.js';
import * as F from '../functional.js';
import type { InterpolateMode } from '../interpolate.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';

/** PyTorch's `nn.Upsample` keyword arguments, camel-cased (those of `F.interpolate` but `antialias`). */
export interface UpsampleOptions {
  /** The output's spatial size (`size`). */
  size?: number | number[] | null;
  /** Multiplier of the spatial size (`scale_factor`). */
  scaleFactor?: number | number[] | null;
  /** `'nearest'` (the default), `'nearest-exact'`, `'linear'`, `'bilinear'`, `'bicubic'`, `'trilinear'` or `'area'` (`mode`). */
  mode?: InterpolateMode;
  /** `align_corners` (`null`: false), for the interpolating modes. */
  alignCorners?: boolean | null;
  /** `recompute_scale_factor` (`null`: false). */
  recomputeScaleFactor?: boolean | null;
}

const OP = 'Upsample';
const MODES: readonly InterpolateMode[] = ['nearest', 'nearest-exact', 'linear', 'bilinear', 'bicubic', 'trilinear', 'area'];

/** Upsamples (or downsamples) the spatial dims of `[N, C, ...]` inputs, as `torch.nn.Upsample`. */
export class Upsample extends Module {
  readonly size: number | number[] | null;
  readonly scaleFactor: number | number[] | null;
  readonly mode: InterpolateMode;
  readonly alignCorners: boolean | null;
  readonly recomputeScaleFactor: boolean | null;

  constructor(opts: UpsampleOptions = {}) {
    super();
    const o = optionsArg(OP, opts, ['size', 'scaleFactor', 'mode', 'alignCorners', 'recomputeScaleFactor']);
    const list = <T>(v: T | T[], check: (x: unknown, name: string) => T, name: string): T | T[] => (Array.isArray(v) ? v.map((x, i) => check(x, `${name}[${i}]`)) : check(v, name));
    this.size = o.size === undefined || o.size === null ? null : list(o.size, (x, n) => intArg(OP, n, x, 1, 0x7fffffff), 'size');
    this.scaleFactor = o.scaleFactor === undefined || o.scaleFactor === null ? null : list(o.scaleFactor, (x, n) => realArg(OP, n, x, { min: 0, minExclusive: true }), 'scaleFactor');
    this.mode = o.mode === undefined ? 'nearest' : enumArg(OP, 'mode', o.mode, MODES);
    this.alignCorners = o.alignCorners === undefined || o.alignCorners === null ? null : boolArg(OP, 'alignCorners', o.alignCorners);
    this.recomputeScaleFactor = o.recomputeScaleFactor === undefined || o.recomputeScaleFactor === null ? null : boolArg(OP, 'recomputeScaleFactor', o.recomputeScaleFactor);
  }
  forward(x: Tensor): Tensor {
    return F.interpolate(x, {
      size: this.size,
      scaleFactor: this.scaleFactor,
      mode: this.mode,
      alignCorners: this.alignCorners,
      recomputeScaleFactor: this.recomputeScaleFactor,
    });
  }
  /** PyTorch's repr: `scale_factor=2.0, mode=nearest` (or `size=...`). */
  override extraRepr(): string {
    const py = (v: number | number[], float: boolean): string => {
      const one = (x: number): string => (float && Number.isInteger(x) ? `${x}.0` : String(x));
      return Array.isArray(v) ? `(${v.map(one).join(', ')}${v.length === 1 ? ',' : ''})` : one(v);
    };
    const what = this.scaleFactor !== null ? `scale_factor=${py(this.scaleFactor, true)}` : `size=${this.size === null ? 'None' : py(this.size, false)}`;
    return `${what}, mode=${this.mode}`;
  }
}
