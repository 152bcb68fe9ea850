import { type UniformStruct, uniformStruct } from './uniforms.js';

/**
 * Every kernel file in shaders/ with its `#if ${FLAG}` flags (those the host chooses; `fixed`
 * ones are set here) and its uniform structs. A kernel
 * declares a struct with a `#struct NAME` line; the declaration and the host's bytes both come
 * from the lists here (src/gpu/uniforms.ts).
 */
const u32 = (doc: string) => ['u32', doc] as const;
const f32 = (doc: string) => ['f32', doc] as const;

const GROUPS_X = u32('workgroups along x of the 2D dispatch');
/** The first fields of the noise kernels' Meta. */
const NOISE_ROWS = { rows: u32('samples in this dispatch'), features: u32('row width F of the trig table'), num_ops: u32('ops to run') };
/** The trajectory counters and the readout rate of the trajectory kernels' Meta. */
const DRAWS = {
  trajectories: u32('T'),
  seed: u32('seed of the Pauli draws'),
  step: u32('step counter of the Pauli draws'),
  first_sample: u32("index of this dispatch's row 0 in the whole data set"),
  readout: f32('readout bit-flip probability'),
};

/** The Meta of the fused and subgroup circuit kernels. */
const CIRCUIT_META = uniformStruct('Meta', {
  rows: u32('samples in this dispatch'),
  features: u32('row width F of the trig table'),
  num_ops: u32('FUSED: passes to run (ops grouped by src/sim/passes.ts)'),
  outputs: u32('FUSED: outputs per sample (2^n: probabilities; fewer: expert sums)'),
  groups_x: GROUPS_X,
});
/** The Meta of the adjoint kernels (workgroup memory and subgroup). */
const ADJOINT_META = uniformStruct('Meta', {
  rows: u32('samples in this dispatch'),
  features: u32('row width F'),
  num_ops: u32('ops of the circuit'),
  outputs: u32('outputs per sample of the upstream gradient'),
  groups_x: GROUPS_X,
  params: u32('width of grad_params rows'),
  dmat_offset: u32('index of the first derivative matrix in mats'),
  want_features: u32('1: write grad_features'),
});

/** The first fields of the global adjoint's gate kernels' Meta. */
const GLOBAL_ROWS = {
  rows: u32('samples in this dispatch'),
  features: u32('row width F of the trig table'),
  first_row: u32('trig row of sample 0 of this dispatch'),
  dmat_offset: u32('BACKWARD: index of the first derivative matrix in mats'),
};

/** One fused pass of the global path's tile kernels (src/sim/fuse.ts), at a dynamic offset of group 1. */
const TILE_PASS = uniformStruct('PassIndex', {
  first: u32('first tile-op record of the pass'),
  count: u32('tile-op records of the pass'),
  mask: u32('the tile bits: index bits that vary inside a tile'),
});
/** The same record as the stage-2 sum reads it (the leading fields, same layout). */
const TILE_PASS_OPS = uniformStruct('PassIndex', { first: u32('first tile-op record of the pass'), count: u32('tile-op records of the pass') });

export const KERNELS = {
  angles: {
    flags: [],
    structs: { Meta: uniformStruct('Meta', { count: u32('values in this dispatch'), groups_x: GROUPS_X }) },
  },
  init_state: {
    flags: ['REAL'],
    structs: { Meta: uniformStruct('Meta', { count: u32('amplitudes in the batch: rows * 2^n'), dim: u32('2^n'), groups_x: GROUPS_X }) },
  },
  measure: {
    flags: ['REAL', 'FULL'],
    structs: { Meta: uniformStruct('Meta', { count: u32('rows * outputs'), outputs: u32('outputs per sample'), dim: u32('2^n'), groups_x: GROUPS_X }) },
  },
  measure_chunks: {
    flags: ['REAL', 'WG_REDUCE'],
    structs: { Meta: uniformStruct('Meta', { count: u32('rows * chunks of 1024 basis states per row'), groups_x: GROUPS_X }) },
  },
  statevector: {
    flags: ['REAL', 'FUSED'],
    structs: {
      Meta: CIRCUIT_META,
      OpIndex: uniformStruct('OpIndex', { index: u32('the op this dispatch applies (global path)') }),
    },
  },
  subgroup_statevector: {
    flags: ['REAL'],
    structs: { Meta: CIRCUIT_META },
  },
  subgroup_adjoint: {
    flags: ['REAL'],
    structs: { Meta: ADJOINT_META },
  },
  copy: {
    flags: [],
    structs: { Meta: uniformStruct('Meta', { count: u32('vec4 elements'), groups_x: GROUPS_X }) },
  },
  adjoint: {
    flags: ['REAL'],
    structs: {
      Meta: ADJOINT_META,
    },
  },
  global_gate: {
    flags: ['REAL', 'BACKWARD', 'WG_REDUCE'],
    structs: {
      Meta: uniformStruct('Meta', {
        ...GLOBAL_ROWS,
        want_features: u32('BACKWARD: 1 when feature rotations have gradient slots'),
        groups_x: GROUPS_X,
      }),
      OpIndex: uniformStruct('OpIndex', { index: u32('the op this dispatch applies') }),
    },
  },
  global_diagonal: {
    flags: ['REAL', 'BACKWARD'],
    structs: {
      Meta: uniformStruct('Meta', {
        rows: u32('samples in this dispatch'),
        features: u32('row width F of the trig table'),
        first_row: u32('trig row of sample 0 of this dispatch'),
        groups_x: GROUPS_X,
      }),
      OpIndex: uniformStruct('OpIndex', { index: u32('first op of the run'), count: u32('ops in the run') }),
    },
  },
  global_tile: {
    flags: ['REAL', 'BACKWARD', 'WG_REDUCE'],
    structs: {
      Meta: uniformStruct('Meta', {
        ...GLOBAL_ROWS,
        blocks: u32('BACKWARD: partials per sample and gradient column'),
        groups_x: GROUPS_X,
      }),
      PassIndex: TILE_PASS,
    },
  },
  global_tile_sum: {
    flags: ['WG_REDUCE'],
    structs: {
      Meta: uniformStruct('Meta', {
        rows: u32('samples in this dispatch'),
        blocks: u32('partials per sample and gradient column'),
        params: u32('width of grad_params rows'),
        features: u32('width of grad_features rows'),
        first_row: u32('gradient row of sample 0 of this dispatch'),
        groups_x: GROUPS_X,
      }),
      PassIndex: TILE_PASS_OPS,
    },
  },
  global_lambda: {
    flags: ['REAL'],
    structs: {
      Meta: uniformStruct('Meta', {
        count: u32('amplitudes in this dispatch: rows * 2^n'),
        outputs: u32('outputs per sample of the upstream gradient'),
        first_row: u32('upstream row of sample 0 of this dispatch'),
        groups_x: GROUPS_X,
      }),
    },
  },
  global_grad_sum: {
    flags: ['WG_REDUCE'],
    structs: {
      Meta: uniformStruct('Meta', {
        rows: u32('samples in this dispatch (one workgroup each)'),
        blocks: u32('partials per sample'),
        params: u32('width of grad_params rows'),
        features: u32('width of grad_features rows'),
        first_row: u32('gradient row of sample 0 of this dispatch'),
        groups_x: GROUPS_X,
      }),
      OpIndex: uniformStruct('OpIndex', { index: u32('the op whose partials are summed') }),
    },
  },
  global_pauli: {
    flags: ['REAL', 'BACKWARD'],
    structs: {
      Meta: uniformStruct('Meta', {
        rows: u32('trajectory states in this dispatch'),
        first_row: u32('batch row (sample x T + trajectory) of state 0 of this dispatch'),
        trajectories: u32('T'),
        seed: u32('seed of the Pauli draws'),
        step: u32('step counter of the Pauli draws'),
        first_sample: u32("index of the batch's sample 0 in the whole data set"),
        groups_x: GROUPS_X,
      }),
      OpIndex: uniformStruct('OpIndex', { index: u32('the channel this dispatch applies') }),
    },
  },
  global_traj_mean: {
    flags: ['REAL'],
    structs: {
      Meta: uniformStruct('Meta', {
        rows: u32('trajectory states in this chunk'),
        first_row: u32('batch row (sample x T + trajectory) of state 0 of the chunk'),
        trajectories: u32('T'),
        groups_x: GROUPS_X,
      }),
    },
  },
  global_readout: {
    flags: [],
    structs: {
      Meta: uniformStruct('Meta', { rows: u32('probability rows'), bit: u32('the qubit\'s bit'), readout: f32('bit-flip probability'), groups_x: GROUPS_X }),
    },
  },
  global_density: {
    flags: [],
    // Density matrices are always complex.
    fixed: { REAL: false },
    structs: {
      Meta: uniformStruct('Meta', { rows: u32('density matrices in this dispatch'), features: u32('row width F of the trig table'), groups_x: GROUPS_X }),
      OpIndex: uniformStruct('OpIndex', { index: u32('the op this dispatch applies') }),
    },
  },
  global_density_diag: {
    flags: [],
    structs: { Meta: uniformStruct('Meta', { count: u32('rows * 2^n'), groups_x: GROUPS_X }) },
  },
  reduce_rows: {
    flags: [],
    structs: { Meta: uniformStruct('Meta', { rows: u32('rows of the matrix'), cols: u32('columns of the matrix'), groups_y: u32('workgroups along y of the 2D grid of row blocks (y, z)') }) },
  },
  param_matrices: {
    flags: ['REAL'],
    structs: { Meta: uniformStruct('Meta', { count: u32('entries') }) },
  },
  moe_head: {
    flags: [],
    structs: { Meta: uniformStruct('Meta', { rows: u32('samples in this dispatch'), grad_width: u32('G: classical parameters + 2'), groups_x: GROUPS_X }) },
  },
  adam: {
    flags: [],
    structs: {
      Meta: uniformStruct('Meta', {
        count: u32('parameters'),
        circuit: u32('circuit angles at the start'),
        update: u32('1: Adam step; 0: statistics only'),
        rows: u32('batch size'),
        lr: f32('learning rate'),
        beta1: f32('first moment decay'),
        beta2: f32('second moment decay'),
        eps: f32('denominator offset'),
        bias1: f32('1 - beta1^t'),
        bias2: f32('1 - beta2^t'),
      }),
    },
  },
  density: {
    flags: ['FUSED'],
    // Density matrices are always complex.
    fixed: { REAL: false },
    structs: {
      Meta: uniformStruct('Meta', { ...NOISE_ROWS, groups_x: GROUPS_X, readout: f32('readout bit-flip probability') }),
    },
  },
  trajectories: {
    flags: ['REAL'],
    structs: {
      Meta: uniformStruct('Meta', { ...NOISE_ROWS, groups_x: GROUPS_X, ...DRAWS }),
    },
  },
  noisy_adjoint: {
    flags: ['REAL'],
    structs: {
      Meta: uniformStruct('Meta', {
        ...NOISE_ROWS,
        outputs: u32('outputs per sample of the upstream gradient'),
        groups_x: GROUPS_X,
        params: u32('width of grad rows'),
        dmat_offset: u32('index of the first derivative matrix in mats'),
        want_features: u32('1 when feature rotations have gradient slots'),
        ...DRAWS,
      }),
    },
  },
} as const satisfies Record<string, { flags: readonly string[]; fixed?: Record<string, boolean>; structs: Record<string, UniformStruct> }>;

/** Kernel files in shaders/. */
export type ShaderName = keyof typeof KERNELS;

/** The uniform struct `struct` of kernel `name`, typed by its fields. */
export type KernelStruct<N extends ShaderName, S extends keyof (typeof KERNELS)[N]['structs']> = (typeof KERNELS)[N]['structs'][S];
