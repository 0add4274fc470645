// Without an adapter: initGpu rejects with the reason, 'auto' and Trainer({numGpus: 1}) fall
// back to the CPU with one message. Dawn is pointed at a Vulkan ICD that does not exist, so it
// finds no adapter, as on a machine without a GPU or driver.
import { describe, expect, it } from 'vitest';
import { d2l, initGpu, isGpuReady, selectDevice, tensor } from 'ferrograd';

process.env.VK_ICD_FILENAMES = '/nonexistent/vulkan_icd.json';

describe('no GPU adapter', () => {
  it('initGpu rejects with a clear reason; tensors stay usable on the CPU', async () => {
    await expect(initGpu()).rejects.toThrow(/initGpu: no GPU available: .*adapter/i);
    expect(isGpuReady()).toBe(false);
    expect(() => tensor([1], { device: 'gpu' })).toThrow(/call `await initGpu\(\)` first/);
    expect(tensor([1, 2], { device: 'auto' }).device).toBe('cpu');
  });

  it("'auto' and Trainer({numGpus: 1}) fall back to the CPU with one message", async () => {
    const lines: string[] = [];
    expect((await selectDevice('auto', (l) => lines.push(l))).device).toBe('cpu');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/no GPU available .*using the CPU/);
    await expect(selectDevice('gpu', (l) => lines.push(l))).rejects.toThrow(/no GPU available/);
    const trainer = new d2l.Trainer({ maxEpochs: 0, numGpus: 1, log: (l) => lines.push(l) });
    expect(await trainer.prepareDevice()).toBe('cpu');
    // the notice is given once per process, not once per call
    expect(lines).toHaveLength(1);
  });
});
