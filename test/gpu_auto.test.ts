// 'auto' (d2l's num_gpus=1) takes a hardware GPU only: on a machine whose only adapter is a
// software one (SwiftShader here: Debian's chromium ships it), it stays on the CPU, keeps the
// threaded build and says why; 'gpu' takes the software adapter all the same.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { d2l, isGpuReady, probeAdapter, releaseGpu, selectDevice, threadsInfo } from 'ferrograd';

const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';
process.env.VK_ICD_FILENAMES = SWIFTSHADER;

describe('a software adapter only', () => {
  it('is installed here (npm test installs chromium)', () => {
    expect(existsSync(SWIFTSHADER)).toBe(true);
  });

  it("probeAdapter names it as software; 'auto' and numGpus: 1 stay on the threaded CPU build", async () => {
    const probe = await probeAdapter();
    expect(probe.software).toBe(true);
    expect(probe.name).toMatch(/swiftshader/i);
    const threadsBefore = threadsInfo();
    const lines: string[] = [];
    expect(await selectDevice('auto', (l) => lines.push(l))).toEqual({ device: 'cpu' });
    expect(lines).toEqual([expect.stringMatching(/^ferrograd: the only GPU adapter is a software one \(.*swiftshader.*\), slower than the CPU backend \(device 'gpu' uses it anyway\); using the CPU$/i)]);
    const trainer = new d2l.Trainer({ maxEpochs: 0, numGpus: 1, log: (l) => lines.push(l) });
    expect(await trainer.prepareDevice()).toBe('cpu');
    expect(lines).toHaveLength(1);
    expect(isGpuReady()).toBe(false);
    expect(threadsInfo()).toEqual(threadsBefore);
  });

  it("'gpu' takes it", async () => {
    const sel = await selectDevice('gpu', () => undefined);
    expect(sel.device).toBe('gpu');
    expect(sel.adapter).toMatch(/swiftshader/i);
    expect(isGpuReady()).toBe(true);
    await releaseGpu();
  });
});
