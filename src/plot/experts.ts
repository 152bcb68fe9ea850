import type { TopLevelSpec } from 'vega-lite';
import { BASE_CONFIG, vegaLiteToSvg } from './render.js';

/**
 * A grouped bar chart of expert utilisation (src/train/expert-usage.ts): per expert, the fraction
 * of samples routed to it and its mean router probability. Resolves to an SVG string.
 */
export async function expertsChart(usage: { samples: number[]; mass: number[] }, title: string): Promise<string> {
  const values = usage.samples.flatMap((s, e) => [
    { expert: `expert ${e}`, measure: 'samples routed', value: s },
    { expert: `expert ${e}`, measure: 'mean probability', value: usage.mass[e] },
  ]);
  const spec: TopLevelSpec = {
    config: BASE_CONFIG,
    title,
    width: Math.max(160, 60 * usage.samples.length),
    height: 240,
    data: { values },
    mark: 'bar',
    encoding: {
      x: { field: 'expert', type: 'nominal', title: null, sort: null, axis: { labelAngle: 0 } },
      xOffset: { field: 'measure', type: 'nominal' },
      y: { field: 'value', type: 'quantitative', title: 'fraction', scale: { domain: [0, 1] } },
      color: { field: 'measure', type: 'nominal', title: null, scale: { range: ['#2166ac', '#f4a582'] } },
    },
  } as TopLevelSpec;
  return vegaLiteToSvg(spec);
}
