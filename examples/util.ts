/**
 * Shared by the examples: PyTorch-style shape printing, "run main when executed directly", and
 * the book's training run of a chapter-8 section with its command-line options.
 */
import { d2l, manualSeed } from 'ferrograd';

/** `torch.Size([8, 8])`, as the book prints shapes. */
export function size(shape: readonly number[]): string {
  return `torch.Size([${shape.join(', ')}])`;
}

/** True when this module is the program being run (`if __name__ == '__main__'`). */
export function isMain(metaUrl: string): boolean {
  const arg = process.argv[1];
  if (!arg) return false;
  const norm = arg.replace(/\\/g, '/').replace(/\.(ts|js|mjs)$/, '');
  return decodeURIComponent(new URL(metaUrl).pathname).replace(/\.(ts|js|mjs)$/, '').endsWith(norm.replace(/^\.\//, ''));
}

/** `--name value` / `--name=value` options of an example. */
export function option(name: string, fallback: number): number {
  const args = process.argv.slice(2);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === `--${name}` && args[i + 1] !== undefined) return Number(args[i + 1]);
    if (a.startsWith(`--${name}=`)) return Number(a.slice(name.length + 3));
  }
  return fallback;
}

/** A training example's options (all from the command line when run directly). */
export interface ExampleOptions {
  epochs?: number;
  batchSize?: number;
  lr?: number;
  trainLimit?: number;
  valLimit?: number;
  resize?: number;
  /** Print the layer summary at the book's size (default true). */
  summary?: boolean;
  log?: (s: string) => void;
}

/**
 * The book's training run: seed 0, the model made with the learning rate, Fashion-MNIST resized,
 * d2l's CNN init from the first batch, `Trainer({ maxEpochs: 10, numGpus: 1 })`.
 */
export async function trainSection(make: (lr: number) => d2l.Classifier, o: ExampleOptions, book: { lr: number; resize: number }): Promise<d2l.EpochMetrics[]> {
  manualSeed(0);
  const model = make(o.lr ?? book.lr);
  const trainer = new d2l.Trainer({ maxEpochs: o.epochs ?? 10, numGpus: 1, log: o.log ?? console.log });
  const data = new d2l.FashionMNIST({ batchSize: o.batchSize ?? 128, resize: o.resize ?? book.resize, trainLimit: o.trainLimit, valLimit: o.valLimit, seed: 0, quiet: true });
  await data.load();
  model.applyInit([d2l.first(data.getDataloader(true))[0]], d2l.initCnn);
  return trainer.fit(model, data);
}

/** `--epochs`, `--batch-size`, `--lr`, `--train-limit`, `--val-limit`, `--resize`, `--skip-summary 1`. */
export function exampleOptions(): ExampleOptions {
  const n = (name: string): number | undefined => {
    const v = option(name, NaN);
    return Number.isNaN(v) ? undefined : v;
  };
  return { epochs: n('epochs'), batchSize: n('batch-size'), lr: n('lr'), trainLimit: n('train-limit'), valLimit: n('val-limit'), resize: n('resize'), summary: n('skip-summary') !== 1 };
}
