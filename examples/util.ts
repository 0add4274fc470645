/**
 * Shared by the examples: PyTorch-style shape printing and "run main when executed directly".
 */

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
