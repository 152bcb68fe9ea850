import { describe, expect, it } from 'vitest';
import { AnglesStep } from '../../src/gpu/angles.js';
import { BufferSet } from '../../src/gpu/buffer-set.js';
import { GpuCall } from '../../src/gpu/check.js';
import { bindGroup, getKernel, parseBindings } from '../../src/gpu/kernel.js';
import { KERNELS } from '../../src/gpu/kernels.js';
import { QmoeGpuMemoryError } from '../../src/errors.js';
import { gpuForTests, skipGpu } from '../helpers/gpu.js';

describe('binding declarations', () => {
  it('reads group, binding, kind and name of every declaration', () => {
    const { bindings, uniformTypes } = parseBindings(
      '@group(0) @binding(0) var<storage, read> values: array<f32>;\n@group(0) @binding(1) var<storage, read_write> trig: array<vec2<f32>>;\n@group(1) @binding(0) var<uniform> op_index: OpIndex;',
    );
    expect(Object.fromEntries(bindings)).toEqual({
      values: { group: 0, binding: 0, type: 'read-only-storage' },
      trig: { group: 0, binding: 1, type: 'storage' },
      op_index: { group: 1, binding: 0, type: 'uniform' },
    });
    expect(Object.fromEntries(uniformTypes)).toEqual({ op_index: 'OpIndex' });
  });
});

describe.skipIf(skipGpu)('the GPU host kit', () => {
  const gpu = gpuForTests();

  it('binds by WGSL variable name and names a missing or unknown binding', async () => {
    const kernel = await getKernel(gpu(), 'angles');
    expect(kernel.metaVariable).toBe('meta_');
    const set = new BufferSet(gpu(), 'the test');
    try {
      const values = set.storage('values', 64);
      const trig = set.storage('trig', 128);
      const meta = set.uniform(KERNELS.angles.structs.Meta, 'meta');
      expect(() => bindGroup(gpu(), kernel, { values, meta_: meta.buffer })).toThrow(/angles\.wgsl: no resource for binding trig/);
      expect(() => bindGroup(gpu(), kernel, { values, trig, meta_: meta.buffer, extra: values })).toThrow(/declares no binding extra in group 0 \(it has values, trig, meta_\)/);
      expect(bindGroup(gpu(), kernel, { values, trig, meta_: meta.buffer })).toBeDefined();
      await set.ready();
    } finally {
      set.destroy();
    }
  });

  it('computes precise half-angle cosines and sines through AnglesStep, writing its Meta only when it changes', async () => {
    const set = new BufferSet(gpu(), 'the test');
    const x = Float32Array.from({ length: 300 }, (_, i) => (i - 150) * 0.37);
    const values = set.storageOf('values', x);
    const angles = await AnglesStep.create(set, values, 300);
    const queue = gpu().device.queue;
    const writeBuffer = queue.writeBuffer;
    let writes = 0;
    queue.writeBuffer = function (this: GPUQueue, ...args: Parameters<GPUQueue['writeBuffer']>) {
      writes++;
      return writeBuffer.apply(this, args);
    } as GPUQueue['writeBuffer'];
    try {
      const call = new GpuCall(gpu(), 'the angles');
      for (let k = 0; k < 3; k++) {
        const encoder = gpu().device.createCommandEncoder();
        const pass = encoder.beginComputePass();
        angles.encode(pass, 300);
        pass.end();
        call.submit(encoder);
      }
      expect(writes, 'one Meta upload for three identical dispatches').toBe(1);
      const got = await call.read(angles.trig, 300 * 8);
      for (let i = 0; i < 300; i++) {
        expect(Math.abs(got[2 * i] - Math.cos(x[i] / 2))).toBeLessThan(1e-6);
        expect(Math.abs(got[2 * i + 1] - Math.sin(x[i] / 2))).toBeLessThan(1e-6);
      }
    } finally {
      queue.writeBuffer = writeBuffer;
      set.destroy();
    }
  });

  it('frees every buffer of a set whose build fails', async () => {
    const device = gpu().device;
    const made: GPUBuffer[] = [];
    const createBuffer = device.createBuffer;
    device.createBuffer = function (this: GPUDevice, d: GPUBufferDescriptor) {
      const b = createBuffer.call(this, d);
      const destroy = b.destroy.bind(b);
      let destroyed = false;
      Object.defineProperty(b, 'destroyedForTest', { get: () => destroyed });
      b.destroy = () => {
        destroyed = true;
        destroy();
      };
      made.push(b);
      return b;
    };
    gpu().maxAllocationBytes = 1024;
    try {
      const set = new BufferSet(gpu(), 'the test');
      await expect(
        set.settle(async () => {
          set.storage('small', 64);
          set.storage('large', 4096);
        }),
      ).rejects.toThrow(QmoeGpuMemoryError);
      expect(made.length).toBe(1);
      expect((made[0] as unknown as { destroyedForTest: boolean }).destroyedForTest).toBe(true);
    } finally {
      device.createBuffer = createBuffer;
      gpu().maxAllocationBytes = gpu().limits.maxBufferSize;
    }
  });
});
