import { existsSync, readdirSync } from 'node:fs';
import { initGpu } from 'ferrograd';

/**
 * Starts the WebGPU backend in Node (Dawn from npm `webgpu`) and logs the adapter. Dawn reads
 * the Vulkan ICD when it loads (on the first initGpu), so the variable is set first: on a
 * machine without a GPU device node, SwiftShader (Debian's chromium ships it) stands in.
 */
export async function startNodeGpu(): Promise<string> {
  const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';
  const hasGpuNode = existsSync('/dev/nvidia0') || (existsSync('/dev/dri') && readdirSync('/dev/dri').some((f) => f.startsWith('renderD')));
  if (!process.env.VK_ICD_FILENAMES && !hasGpuNode && existsSync(SWIFTSHADER)) process.env.VK_ICD_FILENAMES = SWIFTSHADER;
  const info = await initGpu();
  console.log(`GPU adapter: ${info.adapter}`);
  return info.adapter;
}
