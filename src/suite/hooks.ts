/**
 * Module resolution hooks for suite files (registered with `module.register`
 * by `load.ts`, in every thread that loads a suite), so that a suite loads from
 * anywhere: in this package, in a user's project that has the harness in
 * node_modules, run through npx, or a lone file outside any project.
 *
 * - `softmax-stability` resolves to the package that is running (never to
 *   another copy, nor to nothing when the suite's folder has no node_modules).
 * - A `.ts` file outside node_modules loads as an ES module, whatever the
 *   nearest package.json says: suite files are ES modules (`export default
 *   defineSuite(...)`); loaded as CommonJS (a project without "type": "module")
 *   their `import 'softmax-stability'` became a require() of this ES package.
 *
 * Node's resolve hook protocol: https://nodejs.org/docs/latest-v20.x/api/module.html#resolvespecifier-context-nextresolve
 */

export const PACKAGE_NAME = 'softmax-stability';

interface HookData {
  /** file: URL of the running package's entry (dist/src/index.js). */
  readonly index: string;
}

let index = '';

export function initialize(data: HookData): void {
  index = data.index;
}

interface ResolveResult {
  readonly url: string;
  readonly format?: string | null;
  readonly shortCircuit?: boolean;
}

type NextResolve = (specifier: string, context: unknown) => Promise<ResolveResult>;

export async function resolve(specifier: string, context: unknown, nextResolve: NextResolve): Promise<ResolveResult> {
  if (specifier === PACKAGE_NAME) return { url: index, format: 'module', shortCircuit: true };
  const r = await nextResolve(specifier, context);
  if (r.url.startsWith('file:') && /\.tsx?(\?|$)/.test(r.url) && !r.url.includes('/node_modules/')) return { ...r, format: 'module' };
  return r;
}
