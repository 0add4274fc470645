/**
 * Checkpoints as one safetensors file: the model's state dict under `model.` (PyTorch names),
 * the optimizer's buffers under `optim.<buffer>.<param index>`, and in the metadata what the
 * numbers cannot say: the model spec, optimizer hyper-parameters and step, the position
 * (epoch, batch), the RNG state and the data seed. Readable by any safetensors reader.
 * @module
 */
import { decodeSafetensors, encodeSafetensors, recordToTensor, tensorToRecord, type TensorRecord } from '../ts/io/safetensors.js';
import type { OptimizerState } from '../ts/optim.js';
import type { Tensor } from '../ts/tensor.js';
import type { ModelSpec } from '../ts/workers/types.js';

export const FORMAT = 'ferrograd-checkpoint/1';

export interface CheckpointState {
  spec: ModelSpec & { inputShape: [number, number, number] };
  weights: Record<string, Tensor>;
  optimizer: OptimizerState;
  epoch: number;
  batch: number;
  rng: [number, number];
  dataSeed: number | undefined;
}

export function encodeCheckpoint(s: CheckpointState): Uint8Array {
  const tensors: Record<string, TensorRecord> = {};
  for (const [k, t] of Object.entries(s.weights)) tensors[`model.${k}`] = tensorToRecord(t, k);
  const counts: Record<string, number> = {};
  for (const [name, bufs] of Object.entries(s.optimizer.buffers)) {
    counts[name] = bufs.length;
    bufs.forEach((t, i) => {
      if (t) tensors[`optim.${name}.${i}`] = tensorToRecord(t, `${name}.${i}`);
    });
  }
  return encodeSafetensors(tensors, {
    format: FORMAT,
    spec: JSON.stringify(s.spec),
    optimizer: JSON.stringify({ hyper: s.optimizer.hyper, step: s.optimizer.step, buffers: counts }),
    position: JSON.stringify({ epoch: s.epoch, batch: s.batch }),
    rng: JSON.stringify(s.rng),
    ...(s.dataSeed !== undefined ? { dataSeed: String(s.dataSeed) } : {}),
  });
}

function field<T>(meta: Record<string, string>, key: string): T {
  const raw = meta[key];
  if (raw === undefined) throw new Error(`restore: the checkpoint has no '${key}' metadata`);
  try {
    return JSON.parse(raw) as T;
  } catch {
    throw new Error(`restore: the checkpoint's '${key}' metadata is not JSON: ${raw.slice(0, 80)}`);
  }
}

export function decodeCheckpoint(bytes: Uint8Array): CheckpointState {
  if (!(bytes instanceof Uint8Array)) throw new Error('restore: expected the checkpoint as a Uint8Array');
  const { tensors, metadata } = decodeSafetensors(bytes);
  if (metadata['format'] !== FORMAT) throw new Error(`restore: not a ferrograd checkpoint (format ${JSON.stringify(metadata['format'] ?? null)}, expected ${FORMAT}); model weights alone load with setStateDict`);
  const opt = field<{ hyper: OptimizerState['hyper']; step: number; buffers: Record<string, number> }>(metadata, 'optimizer');
  const weights: Record<string, Tensor> = {};
  const buffers: Record<string, (Tensor | null)[]> = {};
  for (const [name, n] of Object.entries(opt.buffers)) buffers[name] = Array.from({ length: n }, () => null);
  for (const [key, rec] of Object.entries(tensors)) {
    if (key.startsWith('model.')) {
      weights[key.slice(6)] = recordToTensor(rec, key);
    } else {
      const m = /^optim\.(.+)\.(\d+)$/.exec(key);
      const list = m ? buffers[m[1]!] : undefined;
      const i = m ? Number(m[2]) : -1;
      if (!list || i >= list.length) throw new Error(`restore: unexpected tensor '${key}' in the checkpoint`);
      list[i] = recordToTensor(rec, key);
    }
  }
  const position = field<{ epoch: number; batch: number }>(metadata, 'position');
  const rng = field<[number, number]>(metadata, 'rng');
  const dataSeed = metadata['dataSeed'] === undefined ? undefined : Number(metadata['dataSeed']);
  return { spec: field(metadata, 'spec'), weights, optimizer: { hyper: opt.hyper, step: opt.step, buffers }, epoch: position.epoch, batch: position.batch, rng, dataSeed };
}
