/**
 * The test-image grid: each tile shows an image, the model's guess and the true label; a wrong
 * guess marks the tile. Tiles carry their labels as data attributes so tests can read them.
 */
import { FASHION_MNIST_LABELS, type FashionMNISTSplit } from 'ferrograd';

export class Grid {
  #tiles: HTMLElement[] = [];
  #split: FashionMNISTSplit | undefined;

  constructor(
    private readonly el: HTMLElement,
    private readonly onPick: (pixels: Uint8Array, index: number) => void,
  ) {}

  get split(): FashionMNISTSplit | undefined {
    return this.#split;
  }

  setImages(split: FashionMNISTSplit): void {
    this.#split = split;
    this.el.replaceChildren();
    this.#tiles = [];
    for (let i = 0; i < split.count; i++) {
      const pixels = split.images.subarray(i * 784, (i + 1) * 784);
      const tile = document.createElement('div');
      tile.className = 'tile';
      tile.dataset['index'] = String(i);
      tile.dataset['true'] = String(split.labels[i]);
      tile.title = 'Classify this image in the drawing pad';
      const canvas = document.createElement('canvas');
      canvas.width = 28;
      canvas.height = 28;
      paint(canvas, pixels);
      const pred = document.createElement('div');
      pred.className = 'pred';
      pred.textContent = '…';
      const truth = document.createElement('div');
      truth.className = 'true';
      truth.textContent = `true: ${FASHION_MNIST_LABELS[split.labels[i]!]}`;
      tile.append(canvas, pred, truth);
      tile.addEventListener('click', () => this.onPick(pixels.slice(), i));
      this.el.append(tile);
      this.#tiles.push(tile);
    }
  }

  /** Shows predicted classes; returns how many are right. */
  setPredictions(classes: ArrayLike<number>): number {
    let right = 0;
    this.#tiles.forEach((tile, i) => {
      const c = classes[i]!;
      const ok = String(c) === tile.dataset['true'];
      right += ok ? 1 : 0;
      tile.dataset['pred'] = String(c);
      tile.classList.toggle('wrong', !ok);
      tile.querySelector('.pred')!.textContent = FASHION_MNIST_LABELS[c] ?? String(c);
    });
    this.el.dataset['correct'] = String(right);
    return right;
  }
}

/** Draws 28×28 bytes as a grey image. */
export function paint(canvas: HTMLCanvasElement, pixels: Uint8Array): void {
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(28, 28);
  for (let k = 0; k < 784; k++) {
    const v = pixels[k]!;
    img.data[k * 4] = v;
    img.data[k * 4 + 1] = v;
    img.data[k * 4 + 2] = v;
    img.data[k * 4 + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}
