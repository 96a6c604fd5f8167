// Draws a timeline as SVG (no chart library): one lane per node coloured by state, failover markers,
// and a time axis. The table of failovers under it carries the same facts as text.
import { svg } from './dom.js';
import { duration, when } from './format.js';
import type { Failover, Segment, Window } from './timeline.js';

const WIDTH = 1000;
const LANE_Y = { primary: 24, secondary: 70 } as const;
const LANE_H = 30;
const LEFT = 90;

function x(at: number, w: Window): number {
  return LEFT + ((at - w.from) / (w.to - w.from)) * (WIDTH - LEFT - 10);
}

function ticks(w: Window): number[] {
  const n = 6;
  return Array.from({ length: n + 1 }, (_, i) => w.from + ((w.to - w.from) * i) / n);
}

export function timelineChart(
  segs: readonly Segment[],
  fails: readonly Failover[],
  w: Window,
  highlight: number | null,
): SVGSVGElement {
  const short = w.to - w.from <= 86_400_000;
  const label = (at: number) =>
    new Date(at).toLocaleString(
      undefined,
      short
        ? { hour: '2-digit', minute: '2-digit', hour12: false }
        : { weekday: 'short', day: 'numeric', hour: '2-digit', hour12: false },
    );
  return svg(
    'svg',
    {
      viewBox: `0 0 ${WIDTH} 140`,
      class: 'timeline',
      role: 'img',
      'aria-label': `State of each node from ${when(w.from)} to ${when(w.to)}, with ${fails.length} failover${fails.length === 1 ? '' : 's'}`,
    },
    ...(['primary', 'secondary'] as const).map((role) =>
      svg('text', { x: 0, y: LANE_Y[role] + 20, class: 'lane' }, role),
    ),
    ...segs.map((s) =>
      svg(
        'rect',
        {
          x: x(s.from, w),
          y: LANE_Y[s.role],
          width: Math.max(1, x(s.to, w) - x(s.from, w)),
          height: LANE_H,
          class: `st st-${s.state}`,
        },
        svg('title', {}, `${s.role} ${s.state}: ${when(s.from)} – ${when(s.to)}`),
      ),
    ),
    ...ticks(w).map((t, i, all) =>
      svg(
        'text',
        {
          x: x(t, w),
          y: 128,
          class: 'tick',
          'text-anchor': i === 0 ? 'start' : i === all.length - 1 ? 'end' : 'middle',
        },
        label(t),
      ),
    ),
    ...fails.map((f) =>
      svg(
        'g',
        { id: `failover-${f.event_id}`, class: `failover${f.event_id === highlight ? ' highlight' : ''}` },
        svg('line', { x1: x(f.at, w), x2: x(f.at, w), y1: 14, y2: 106 }),
        svg('polygon', {
          points: `${x(f.at, w) - 6},8 ${x(f.at, w) + 6},8 ${x(f.at, w)},16`,
        }),
        svg(
          'title',
          {},
          `failover at ${when(f.at)}${f.claim_ms === null ? '' : `, traffic moved in ${duration(f.claim_ms)}`}`,
        ),
      ),
    ),
  );
}
