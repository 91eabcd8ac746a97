// Deletion and insertion curves of one explanation (probability of the class as the most relevant
// pixels are removed, or restored into the fill), as a small SVG chart with the AUCs in words.

export interface Curve {
  classIndex: number;
  fill: string;
  steps: number;
  fractions: number[];
  deletion: number[];
  insertion: number[];
  deletionAuc: number;
  insertionAuc: number;
}

const W = 200;
const H = 120;
const PAD = { left: 28, right: 6, top: 6, bottom: 20 };

/** SVG path through (fraction, probability) points, both axes 0..1. */
export function curvePath(xs: number[], ys: number[]): string {
  const x = (v: number) => PAD.left + v * (W - PAD.left - PAD.right);
  const y = (v: number) => PAD.top + (1 - Math.min(1, Math.max(0, v))) * (H - PAD.top - PAD.bottom);
  return xs.map((v, i) => `${i ? 'L' : 'M'}${x(v).toFixed(1)},${y(ys[i]).toFixed(1)}`).join(' ');
}

export function FaithfulnessChart({ curve, title }: { curve: Curve; title: string }) {
  const summary = `${title}: deletion AUC ${curve.deletionAuc.toFixed(3)} (lower is more faithful), insertion AUC ${curve.insertionAuc.toFixed(3)} (higher is more faithful), ${curve.steps} steps, fill ${curve.fill.toLowerCase()}`;
  return (
    <figure class="curves" data-testid="faithfulness-chart" data-deletion-auc={curve.deletionAuc} data-insertion-auc={curve.insertionAuc}>
      <svg viewBox={`0 0 ${W} ${H}`} width={W} height={H} role="img" aria-label={summary}>
        <line class="axis" x1={PAD.left} y1={H - PAD.bottom} x2={W - PAD.right} y2={H - PAD.bottom} />
        <line class="axis" x1={PAD.left} y1={PAD.top} x2={PAD.left} y2={H - PAD.bottom} />
        <text x={PAD.left - 3} y={PAD.top + 4} class="tick" text-anchor="end">
          1
        </text>
        <text x={PAD.left - 3} y={H - PAD.bottom} class="tick" text-anchor="end">
          0
        </text>
        <text x={(W + PAD.left) / 2} y={H - 4} class="tick" text-anchor="middle">
          fraction of pixels
        </text>
        <path class="deletion" d={curvePath(curve.fractions, curve.deletion)} />
        <path class="insertion" d={curvePath(curve.fractions, curve.insertion)} />
      </svg>
      <figcaption>
        <span>
          <span class="key deletion" aria-hidden="true" /> deletion AUC {curve.deletionAuc.toFixed(3)}
        </span>
        <span>
          <span class="key insertion" aria-hidden="true" /> insertion AUC {curve.insertionAuc.toFixed(3)}
        </span>
      </figcaption>
    </figure>
  );
}
