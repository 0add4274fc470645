// Type-level checks of the shipped declarations: the names a user reaches for exist with real
// types (not `any`), and wrong calls are compile errors. Each @ts-expect-error fails the build
// if the line below it ever type-checks.
import { d2l, decodeStateDict, encodeStateDict, F, init, initGpu, nn, SGD, spawnTrainer, tensor, type DataSpec, type DeviceSpec, type FitResult, type ModelSpec, type Tensor, type TrainerClient } from 'ferrograd';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(_ok?: T): void {}

export async function apiTypes(): Promise<void> {
  await init({ wasmUrl: '/assets/ferrograd_wasm_bg.wasm' });
  const x = tensor([[1, 2], [3, 4]], { requiresGrad: true, device: 'cpu' });
  assertType<Equal<typeof x, Tensor>>();
  assertType<Equal<ReturnType<Tensor['item']>, number>>();
  assertType<Equal<Awaited<ReturnType<Tensor['data']>>, Float32Array>>();
  assertType<Equal<Awaited<ReturnType<typeof initGpu>>['adapter'], string>>();

  const y: Tensor = F.conv2d(x.reshape(1, 1, 2, 2), tensor([[[[1]]]]));
  // @ts-expect-error devices are 'cpu' | 'gpu' | 'auto'
  tensor([1], { device: 'cuda' });
  // @ts-expect-error item() returns a number, not a tensor
  y.item().add(1);
  const device: DeviceSpec = 'auto';

  const net = new nn.Sequential(new nn.LazyLinear(4), new nn.ReLU(), new nn.LazyLinear(2)).to(device);
  const opt = new SGD(net.parameters(), { lr: 0.1 });
  opt.zeroGrad();
  const weights: Uint8Array = encodeStateDict(net.stateDict());
  const { tensors } = decodeStateDict(weights);
  net.loadStateDict(tensors);
  const lenet = new d2l.LeNet({ lr: 0.1, numClasses: 10 });
  // @ts-expect-error LeNet's options are lr and numClasses
  new d2l.LeNet({ learningRate: 0.1 });
  lenet.layerSummary([1, 1, 28, 28]);

  const trainer: TrainerClient = await spawnTrainer({ wasmUrl: '/assets/ferrograd_wasm_bg.wasm' });
  const model: ModelSpec = { kind: 'vgg', arch: [[1, 16], [1, 32]], lr: 0.05, seed: 0 };
  // @ts-expect-error VGG needs its arch
  const bad: ModelSpec = { kind: 'vgg' };
  void bad;
  await trainer.createModel(model);
  const data: DataSpec = { kind: 'bytes', train: { images: new Uint8Array(784), labels: new Uint8Array(1) }, batchSize: 1 };
  await trainer.loadData(data);
  const result: FitResult = await trainer.fit({ maxEpochs: 1 }, {
    onProgress: (e) => {
      if (e.type === 'batch') assertType<Equal<typeof e.imagesPerSecond, number>>();
      // @ts-expect-error epoch events have no per-batch `x`
      else void e.x;
    },
  });
  assertType<Equal<typeof result.cancelled, boolean>>();
  const p = await trainer.predict(new Float32Array(784), [1, 1, 28, 28]);
  assertType<Equal<typeof p.classes, Int32Array>>();
  await trainer.dispose();
}
