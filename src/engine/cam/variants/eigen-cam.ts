// Eigen-CAM (Muhammad & Yeasin): the first principal component of the activations, projected
// over space. No gradients and no class: one map per image, shared by every requested class.
import type { ActivationVariant } from '../formula.ts';
import { firstComponentProjection } from '../projection.ts';

export const eigenCam: ActivationVariant = {
  kind: 'activations',
  async run(job) {
    job.acts.forEach((A, a) => job.emit(a, 'every', firstComponentProjection(A, job.K, job.h * job.w)));
    job.progress('activations', job.acts.length, job.acts.length);
    // The method is itself the projection: eigen-smooth does not apply.
    return { eigenSmooth: false };
  },
};
