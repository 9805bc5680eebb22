/**
 * Charts: Vega-Lite specifications compiled to Vega and rendered to SVG in Node
 * (Vega's SVG renderer needs no canvas package).
 */
import { parse, View } from 'vega';
import type { TopLevelSpec } from 'vega-lite';
import { compile } from 'vega-lite';

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const vega = compile(spec).spec;
  const view = new View(parse(vega), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
