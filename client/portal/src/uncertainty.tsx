// A LIME / Kernel SHAP result's weights with 95% error bars and its top-k stability (see
// uncertainty-view.ts), shown under the figure of each explained class.
import type { ExplanationDetail } from './types.ts';
import { adaptiveOf, barScale, errorBars, stabilityText, uncertaintyOf } from './uncertainty-view.ts';

const BARS = 10;
const W = 200;
const ROW = 14;
const LABEL = 34;

export function StabilityNote({ e, classIndex }: { e: ExplanationDetail; classIndex: number }) {
  const u = uncertaintyOf(e.result);
  if (!u) return null;
  const c = u.classes.find((x) => x.classIndex === classIndex);
  return (
    <span class="hint stability" data-testid="stability">
      {stabilityText(u, c, adaptiveOf(e.result))}
    </span>
  );
}

export function WeightBars({ e, classIndex, label }: { e: ExplanationDetail; classIndex: number; label: string }) {
  const u = uncertaintyOf(e.result);
  const c = u?.classes.find((x) => x.classIndex === classIndex);
  if (!u || !c) return null;
  const bars = errorBars(c, BARS);
  const x = barScale(bars, W - LABEL - 4);
  const zero = LABEL + x(0);
  const height = bars.length * ROW + 4;
  const desc = bars.map((b) => `segment ${b.segment}: ${b.weight.toFixed(3)} [${b.lower.toFixed(3)}, ${b.upper.toFixed(3)}]`).join('; ');
  return (
    <svg class="weight-bars" width={W} height={height} viewBox={`0 0 ${W} ${height}`} role="img" aria-label={`${label}: largest weights with 95% intervals. ${desc}`} data-testid="weight-bars">
      <line x1={zero} x2={zero} y1={0} y2={height} class="axis" />
      {bars.map((b, i) => {
        const y = 2 + i * ROW;
        const a = LABEL + x(Math.min(0, b.weight));
        const w = Math.abs(LABEL + x(b.weight) - zero);
        return (
          <g key={b.segment} class={b.inTop ? 'in-top' : 'out-top'}>
            <text x={LABEL - 3} y={y + ROW - 4} text-anchor="end">
              #{b.segment}
            </text>
            <rect x={a} y={y + 2} width={Math.max(w, 0.5)} height={ROW - 5} class={b.weight >= 0 ? 'pos' : 'neg'} />
            <line x1={LABEL + x(b.lower)} x2={LABEL + x(b.upper)} y1={y + ROW / 2} y2={y + ROW / 2} class="interval" />
            <line x1={LABEL + x(b.lower)} x2={LABEL + x(b.lower)} y1={y + 3} y2={y + ROW - 3} class="interval" />
            <line x1={LABEL + x(b.upper)} x2={LABEL + x(b.upper)} y1={y + 3} y2={y + ROW - 3} class="interval" />
          </g>
        );
      })}
    </svg>
  );
}
