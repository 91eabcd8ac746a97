// Score-CAM (Wang et al.): each activation channel, bilinearly upsampled (align_corners=True, as
// torch's UpsamplingBilinear2d) and min-max normalized, multiplies the (normalized) input; the
// target scores of these masked inputs, softmaxed over the channels, weight the channels. One set
// of masked forward passes serves every requested class.
import { camFromWeights } from '../combine.ts';
import type { ActivationVariant } from '../formula.ts';
import { resizeBilinear } from '../maps.ts';

/** Channels with the largest spatial variance, when a cap is set; else all. */
function selectChannels(A: Float32Array, K: number, P: number, max: number | null | undefined): number[] {
  const all = Array.from({ length: K }, (_, k) => k);
  if (!max || max >= K) return all;
  const variance = all.map((k) => {
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < P; i++) {
      const v = A[k * P + i];
      s += v;
      s2 += v * v;
    }
    const m = s / P;
    return s2 / P - m * m;
  });
  return all.sort((a, b) => variance[b] - variance[a] || a - b).slice(0, max).sort((a, b) => a - b);
}

/** Writes input ⊙ mask (one H×W mask over the three channels) into dst at o. */
function maskInto(input: Float32Array, mask: Float32Array, layout: 'NCHW' | 'NHWC', dst: Float32Array, o: number): void {
  const HW = mask.length;
  if (layout === 'NCHW') {
    for (let c = 0; c < 3; c++) {
      const b = c * HW;
      for (let i = 0; i < HW; i++) dst[o + b + i] = input[b + i] * mask[i];
    }
  } else {
    for (let i = 0; i < HW; i++) {
      const m = mask[i];
      dst[o + 3 * i] = input[3 * i] * m;
      dst[o + 3 * i + 1] = input[3 * i + 1] * m;
      dst[o + 3 * i + 2] = input[3 * i + 2] * m;
    }
  }
}

/** Score-CAM scores one masked image per channel; a typical last conv layer has about this many. */
const TYPICAL_CHANNELS = 512;

export const scoreCam: ActivationVariant = {
  kind: 'activations',
  expectedPasses: (classes) => 1 + TYPICAL_CHANNELS * classes,
  async run(job) {
    const { acts, K, h, w, H, W, classes } = job;
    const fwd = await job.forward();
    const B = fwd.batch;
    const P = h * w;
    const HW = H * W;
    const per = 3 * HW;
    const channels = acts.map((A) => selectChannels(A, K, P, job.options.scoreCamMaxChannels));
    const total = channels.reduce((s, c) => s + c.length, 0);
    const buf = new Float32Array(B * per);
    const up = new Float32Array(HW);
    let done = 0;
    let runs = 0;
    for (let a = 0; a < acts.length; a++) {
      const A = acts[a];
      const input = job.input(a);
      const chans = channels[a];
      // scores[class][j] for channel chans[j]
      const scores = classes.map(() => new Float64Array(chans.length));
      for (let start = 0; start < chans.length; start += B) {
        job.checkAborted();
        const chunk = chans.slice(start, start + B);
        chunk.forEach((k, j) => {
          resizeBilinear(A, h, w, H, W, 'align', up, k * P);
          let lo = Infinity;
          let hi = -Infinity;
          for (let i = 0; i < HW; i++) {
            if (up[i] < lo) lo = up[i];
            if (up[i] > hi) hi = up[i];
          }
          const d = 1 / (hi - lo + 1e-8);
          for (let i = 0; i < HW; i++) up[i] = (up[i] - lo) * d;
          maskInto(input, up, job.layout, buf, j * per);
        });
        const { data: L, classes: C } = await fwd.scores(buf, chunk.length);
        runs++;
        chunk.forEach((_, j) => classes.forEach((c, ci) => (scores[ci][start + j] = L[j * C + c])));
        done += chunk.length;
        job.progress('masks', done, total);
      }
      classes.forEach((_, ci) => {
        const s = scores[ci];
        let m = -Infinity;
        for (const v of s) if (v > m) m = v;
        let z = 0;
        const e = Float64Array.from(s, (v) => Math.exp(v - m));
        for (const v of e) z += v;
        const wts = new Float64Array(K);
        chans.forEach((k, j) => (wts[k] = e[j] / z));
        job.emit(a, ci, camFromWeights(A, wts, K, P, 0, job.eigenSmooth));
      });
    }
    return { forwardPasses: acts.length + total, maskedForwardPasses: total, channelsUsed: channels[job.identity].length, maskRuns: runs, batchSize: B };
  },
};
