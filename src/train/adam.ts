import { QmoeInputError } from '../errors.js';

export interface AdamOptions {
  /** Learning rate, default 0.01. */
  lr?: number;
  /** Decay of the first moment, default 0.9. */
  beta1?: number;
  /** Decay of the second moment, default 0.999. */
  beta2?: number;
  /** Added to the denominator, default 1e-8. */
  eps?: number;
}

export interface AdamSettings {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
}

/** Checks and completes Adam options. */
export function adamSettings(options: AdamOptions = {}): AdamSettings {
  const lr = options.lr ?? 0.01;
  const beta1 = options.beta1 ?? 0.9;
  const beta2 = options.beta2 ?? 0.999;
  const eps = options.eps ?? 1e-8;
  if (!(typeof lr === 'number' && Number.isFinite(lr) && lr > 0)) throw new QmoeInputError('--lr', lr, 'must be a finite number > 0');
  if (!(typeof beta1 === 'number' && beta1 >= 0 && beta1 < 1)) throw new QmoeInputError('beta1', beta1, 'must be in [0, 1)');
  if (!(typeof beta2 === 'number' && beta2 >= 0 && beta2 < 1)) throw new QmoeInputError('beta2', beta2, 'must be in [0, 1)');
  if (!(typeof eps === 'number' && Number.isFinite(eps) && eps > 0)) throw new QmoeInputError('eps', eps, 'must be a finite number > 0');
  return { lr, beta1, beta2, eps };
}

/**
 * Adam (Kingma & Ba) with bias correction exactly as PyTorch's torch.optim.Adam (no weight
 * decay, no amsgrad), step t = 1, 2, ...:
 *   m = beta1 m + (1 - beta1) g
 *   v = beta2 v + (1 - beta2) g^2
 *   p -= (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 */
export class Adam {
  readonly settings: AdamSettings;
  private m: Float64Array;
  private v: Float64Array;
  private t = 0;

  constructor(size: number, options: AdamOptions = {}) {
    this.settings = adamSettings(options);
    this.m = new Float64Array(size);
    this.v = new Float64Array(size);
  }

  /** Steps taken since construction or the last reset. */
  get steps(): number {
    return this.t;
  }

  /** Zeroes the moments and the step count. */
  reset(): void {
    this.m.fill(0);
    this.v.fill(0);
    this.t = 0;
  }

  /** One update of `params` in place with the gradient `grad`. */
  step(params: Float64Array, grad: ArrayLike<number>): void {
    if (params.length !== this.m.length || grad.length !== this.m.length) {
      throw new QmoeInputError('grad.length', grad.length, `params and grad must both have ${this.m.length} entries`);
    }
    const { lr, beta1, beta2, eps } = this.settings;
    this.t++;
    const bc1 = 1 - beta1 ** this.t;
    const bc2 = 1 - beta2 ** this.t;
    const stepSize = lr / bc1;
    const sqrtBc2 = Math.sqrt(bc2);
    for (let i = 0; i < params.length; i++) {
      const g = grad[i];
      this.m[i] = beta1 * this.m[i] + (1 - beta1) * g;
      this.v[i] = beta2 * this.v[i] + (1 - beta2) * g * g;
      params[i] -= (stepSize * this.m[i]) / (Math.sqrt(this.v[i]) / sqrtBc2 + eps);
    }
  }
}
