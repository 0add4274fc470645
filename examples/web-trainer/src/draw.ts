/**
 * The drawing pad: strokes with a mouse, pen or finger, or an image dropped (or picked from the
 * grid). Whatever is shown becomes the 28×28 grey bytes the network sees: light garment on a
 * dark ground, as in Fashion-MNIST (a dropped photo on a light ground is inverted). A 28×28
 * image goes through pixel for pixel.
 */
export class DrawPad {
  readonly #small: HTMLCanvasElement;
  #drawing = false;
  #last: { x: number; y: number } | undefined;
  #pending: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly onInput: (pixels: Uint8Array) => void,
  ) {
    this.#small = document.createElement('canvas');
    this.#small.width = 28;
    this.#small.height = 28;
    this.clear();
    canvas.addEventListener('pointerdown', (e) => {
      canvas.setPointerCapture(e.pointerId);
      this.#drawing = true;
      this.#last = this.#point(e);
      this.#stroke(this.#last, this.#last);
    });
    canvas.addEventListener('pointermove', (e) => {
      if (!this.#drawing) return;
      const p = this.#point(e);
      this.#stroke(this.#last ?? p, p);
      this.#last = p;
      // live guesses while drawing, at most ten a second
      this.#pending ??= setTimeout(() => {
        this.#pending = undefined;
        this.#emitFromDisplay();
      }, 100);
    });
    const end = (): void => {
      if (!this.#drawing) return;
      this.#drawing = false;
      this.#emitFromDisplay();
    };
    canvas.addEventListener('pointerup', end);
    canvas.addEventListener('pointercancel', end);
    canvas.addEventListener('dragover', (e) => {
      e.preventDefault();
      canvas.classList.add('dragover');
    });
    canvas.addEventListener('dragleave', () => canvas.classList.remove('dragover'));
    canvas.addEventListener('drop', (e) => {
      e.preventDefault();
      canvas.classList.remove('dragover');
      const file = e.dataTransfer?.files[0];
      if (file) void this.dropFile(file);
    });
  }

  clear(): void {
    const ctx = this.canvas.getContext('2d')!;
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
  }

  /** Shows 28×28 bytes and classifies exactly those bytes. */
  setImage(pixels: Uint8Array): void {
    const ctx = this.#small.getContext('2d')!;
    const img = ctx.createImageData(28, 28);
    for (let k = 0; k < 784; k++) img.data.set([pixels[k]!, pixels[k]!, pixels[k]!, 255], k * 4);
    ctx.putImageData(img, 0, 0);
    this.#showSmall();
    this.onInput(pixels);
  }

  /** An image file (PNG, JPEG, …): scaled to 28×28 (not at all when it is 28×28). */
  async dropFile(file: Blob): Promise<void> {
    const bitmap = await createImageBitmap(file);
    const ctx = this.#small.getContext('2d', { willReadFrequently: true })!;
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = 'high';
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, 28, 28);
    ctx.drawImage(bitmap, 0, 0, 28, 28);
    bitmap.close();
    let pixels = grey(ctx.getImageData(0, 0, 28, 28).data);
    if (borderMean(pixels) > 127) pixels = pixels.map((v) => 255 - v);
    this.setImage(pixels);
  }

  #showSmall(): void {
    const ctx = this.canvas.getContext('2d')!;
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(this.#small, 0, 0, this.canvas.width, this.canvas.height);
  }

  #emitFromDisplay(): void {
    const ctx = this.#small.getContext('2d', { willReadFrequently: true })!;
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(this.canvas, 0, 0, 28, 28);
    this.onInput(grey(ctx.getImageData(0, 0, 28, 28).data));
  }

  #point(e: PointerEvent): { x: number; y: number } {
    const r = this.canvas.getBoundingClientRect();
    return { x: ((e.clientX - r.left) * this.canvas.width) / r.width, y: ((e.clientY - r.top) * this.canvas.height) / r.height };
  }

  #stroke(a: { x: number; y: number }, b: { x: number; y: number }): void {
    const ctx = this.canvas.getContext('2d')!;
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = this.canvas.width / 12;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.beginPath();
    ctx.moveTo(a.x, a.y);
    ctx.lineTo(b.x, b.y);
    ctx.stroke();
  }
}

/** RGBA → grey bytes (Rec. 601 luma; exact for grey pixels). */
function grey(rgba: Uint8ClampedArray): Uint8Array {
  const out = new Uint8Array(rgba.length / 4);
  for (let k = 0; k < out.length; k++) {
    const r = rgba[k * 4]!;
    const g = rgba[k * 4 + 1]!;
    const b = rgba[k * 4 + 2]!;
    out[k] = r === g && g === b ? r : Math.round(0.299 * r + 0.587 * g + 0.114 * b);
  }
  return out;
}

function borderMean(p: Uint8Array): number {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < 28; i++) {
    for (const k of [i, 27 * 28 + i, i * 28, i * 28 + 27]) {
      sum += p[k]!;
      n++;
    }
  }
  return sum / n;
}
