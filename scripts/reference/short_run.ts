/**
 * A short CPU training run (tens of steps) of d2l's small VGG at 224x224 or ResNet-18 at 96x96,
 * printing every step's loss:
 *   `npx tsx scripts/reference/short_run.ts vgg|resnet18 [steps] [batch] [sgd|adam] [lr] [images]`.
 * With `images` below steps × batch, the run cycles over that subset (the "can it fit a few
 * batches" check: a working network's loss must fall there within tens of steps).
 * Defaults are the book's settings (SGD, lr 0.01, Xavier init); the full runs belong on a GPU.
 */
import { Adam, d2l, manualSeed } from '../../ts/node.js';

const [model = 'resnet18', stepsArg = '30', batchArg = '32', opt = 'sgd', lrArg = '0.01', imagesArg] = process.argv.slice(2);
const lr = Number(lrArg);
const steps = Number(stepsArg);
const batchSize = Number(batchArg);
manualSeed(0);
const resize = model === 'vgg' ? 224 : 96;
const net = model === 'vgg' ? new d2l.VGG([[1, 16], [1, 32], [2, 64], [2, 128], [2, 128]], { lr }) : new d2l.ResNet18({ lr });
if (opt === 'adam') net.configureOptimizers = () => new Adam(net.parameters(), { lr });
const images = imagesArg ? Number(imagesArg) : steps * batchSize;
const epochs = Math.ceil((steps * batchSize) / images);
const data = new d2l.FashionMNIST({ batchSize, resize, trainLimit: images, valLimit: batchSize, seed: 0, quiet: true });
await data.load();
net.applyInit([d2l.first(data.getDataloader(true))[0]], d2l.initCnn);
const losses: number[] = [];
const started = performance.now();
const trainer = new d2l.Trainer({
  maxEpochs: epochs,
  onBatch: (p) => {
    losses.push(p.loss);
    console.log(`step ${losses.length}: loss ${p.loss.toFixed(4)} (${p.imagesPerSecond.toFixed(1)} img/s)`);
  },
});
await trainer.fit(net, data);
const secs = (performance.now() - started) / 1000;
const k = Math.max(1, Math.floor(losses.length / 5));
const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
console.log(JSON.stringify({ model, optimizer: opt, lr, resize, batchSize, images, steps: losses.length, firstMeanLoss: mean(losses.slice(0, k)), lastMeanLoss: mean(losses.slice(-k)), seconds: secs }));
